// Any process opening a case file: migration 160, the remediation record — the steps as planned, what was done to each
// object (one custody entry per action), and every live read, request and answer taken while doing it.
// Shipped migrations are never edited (DESIGN.md): add a new numbered module instead.

// remediation_step and remediation_action are projections of custody entries (remediation.planned, remediation.action):
// verify rebuilds them from custody. remediation_evidence holds the bytes, hashed as received (secrets replaced by
// [redacted] before hashing and storing); each action's custody entry names its evidence rows and their sha256.
export default /* sql */ `
CREATE TABLE remediation_step (
  seq         INTEGER PRIMARY KEY,
  step_id     TEXT NOT NULL,
  spec        TEXT NOT NULL CHECK (json_valid(spec)),
  spec_sha256 TEXT NOT NULL CHECK (length(spec_sha256) = 64 AND spec_sha256 NOT GLOB '*[^0-9a-f]*'),
  at          TEXT NOT NULL,
  actor       TEXT NOT NULL,
  custody_seq INTEGER NOT NULL REFERENCES custody (seq)
) STRICT;

CREATE INDEX remediation_step_byStepId ON remediation_step (step_id, seq);

CREATE TRIGGER remediation_step_refuseUpdate BEFORE UPDATE ON remediation_step
BEGIN
  SELECT RAISE(ABORT, 'remediation_step is append-only: a step planned again is a new entry');
END;

CREATE TRIGGER remediation_step_refuseDelete BEFORE DELETE ON remediation_step
BEGIN
  SELECT RAISE(ABORT, 'remediation_step is append-only: a step planned again is a new entry');
END;

CREATE TABLE remediation_evidence (
  id           INTEGER PRIMARY KEY,
  step_id      TEXT NOT NULL,
  item_key     TEXT NOT NULL,
  -- read-before: the live object before the write; write: a request and its answer; read-after: the proof.
  kind         TEXT NOT NULL CHECK (kind IN ('read-before', 'write', 'read-after')),
  method       TEXT NOT NULL,
  url          TEXT NOT NULL,
  request_body TEXT,
  status       INTEGER NOT NULL,
  collected_at TEXT NOT NULL,
  sha256       TEXT NOT NULL CHECK (length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*'),
  size         INTEGER NOT NULL CHECK (size >= 0),
  body_gz      BLOB NOT NULL
) STRICT;

CREATE INDEX remediation_evidence_byStepId ON remediation_evidence (step_id, item_key);

CREATE TRIGGER remediation_evidence_refuseUpdate BEFORE UPDATE ON remediation_evidence
BEGIN
  SELECT RAISE(ABORT, 'remediation_evidence is append-only: a stored read or answer can never be changed (chain of custody)');
END;

CREATE TRIGGER remediation_evidence_refuseDelete BEFORE DELETE ON remediation_evidence
BEGIN
  SELECT RAISE(ABORT, 'remediation_evidence is append-only: a stored read or answer can never be deleted (chain of custody)');
END;

CREATE TABLE remediation_action (
  seq           INTEGER PRIMARY KEY,
  step_id       TEXT NOT NULL,
  item_key      TEXT NOT NULL,
  outcome       TEXT NOT NULL CHECK (outcome IN ('dry-run', 'done', 'verified', 'already-absent', 'failed', 'changed', 'skipped', 'done-outside')),
  note          TEXT NOT NULL DEFAULT '',
  -- The signed-in account that acted (UPN or app id). Never a token.
  account       TEXT CHECK (account IS NULL OR (length(account) <= 320 AND account NOT LIKE 'eyJ%' AND account NOT LIKE 'Bearer %')),
  before_sha256 TEXT CHECK (before_sha256 IS NULL OR length(before_sha256) = 64),
  after_sha256  TEXT CHECK (after_sha256 IS NULL OR length(after_sha256) = 64),
  evidence_ids  TEXT NOT NULL CHECK (json_valid(evidence_ids)),
  at            TEXT NOT NULL,
  actor         TEXT NOT NULL,
  custody_seq   INTEGER NOT NULL REFERENCES custody (seq)
) STRICT;

CREATE INDEX remediation_action_byStepItem ON remediation_action (step_id, item_key, seq);

CREATE TRIGGER remediation_action_refuseUpdate BEFORE UPDATE ON remediation_action
BEGIN
  SELECT RAISE(ABORT, 'remediation_action is append-only: an item''s new outcome is a new entry');
END;

CREATE TRIGGER remediation_action_refuseDelete BEFORE DELETE ON remediation_action
BEGIN
  SELECT RAISE(ABORT, 'remediation_action is append-only: an item''s new outcome is a new entry');
END;
`;
