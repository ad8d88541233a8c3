// Any process opening a case file: migration 20, collection runs, raw evidence and the custody chain.
// Shipped migrations are never edited (DESIGN.md): add a new numbered module instead.

export default /* sql */ `
CREATE TABLE collection_run (
  run_id      TEXT PRIMARY KEY CHECK (length(run_id) = 36),
  started_at  TEXT NOT NULL,
  finished_at TEXT,
  state       TEXT NOT NULL DEFAULT 'running'
              CHECK (state IN ('running', 'done', 'failed', 'cancelled')),
  environment TEXT NOT NULL,
  tenant_id   TEXT NOT NULL,
  -- UPN (or app id for app-only) of the signed-in identity. Never a token: refuse what looks like one.
  account     TEXT CHECK (account IS NULL OR (length(account) <= 320
                                              AND account NOT LIKE 'eyJ%'
                                              AND account NOT LIKE 'Bearer %')),
  error       TEXT,
  CHECK ((state = 'running') = (finished_at IS NULL))
) STRICT;

CREATE INDEX collection_run_byStateFinishedAt ON collection_run (state, finished_at);

-- Every raw response page or imported chunk, exactly as received. sha256 and size are of the raw
-- (uncompressed) bytes so anyone can check them with standard tools after gunzip.
CREATE TABLE evidence (
  id           INTEGER PRIMARY KEY,
  run_id       TEXT NOT NULL REFERENCES collection_run (run_id),
  source       TEXT NOT NULL,
  method       TEXT NOT NULL,
  url          TEXT NOT NULL,
  status       INTEGER NOT NULL,
  content_type TEXT,
  request_id   TEXT,
  collected_at TEXT NOT NULL,
  sha256       TEXT NOT NULL CHECK (length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*'),
  size         INTEGER NOT NULL CHECK (size >= 0),
  body_gz      BLOB NOT NULL
) STRICT;

CREATE INDEX evidence_byRunIdSource ON evidence (run_id, source);

CREATE TRIGGER evidence_refuseUpdate BEFORE UPDATE ON evidence
BEGIN
  SELECT RAISE(ABORT, 'evidence is append-only: a collected row can never be changed (chain of custody)');
END;

CREATE TRIGGER evidence_refuseDelete BEFORE DELETE ON evidence
BEGIN
  SELECT RAISE(ABORT, 'evidence is append-only: a collected row can never be deleted (chain of custody)');
END;

-- Hash-chained log of everything done to the case. hash = sha256 of the RFC 8785 canonical JSON of
-- {seq, at, action, actor, details, prevHash}; the first entry's prev_hash is 64 zeros.
CREATE TABLE custody (
  seq       INTEGER PRIMARY KEY CHECK (seq >= 1),
  at        TEXT NOT NULL,
  action    TEXT NOT NULL,
  actor     TEXT NOT NULL,
  details   TEXT NOT NULL CHECK (json_valid(details)),
  prev_hash TEXT NOT NULL CHECK (length(prev_hash) = 64),
  hash      TEXT NOT NULL UNIQUE CHECK (length(hash) = 64)
) STRICT;

-- The database itself refuses an entry that does not extend the chain, whoever writes it.
CREATE TRIGGER custody_checkLink BEFORE INSERT ON custody
WHEN NEW.seq IS NOT (SELECT coalesce(max(seq), 0) + 1 FROM custody)
  OR NEW.prev_hash IS NOT coalesce((SELECT hash FROM custody ORDER BY seq DESC LIMIT 1),
                                   '0000000000000000000000000000000000000000000000000000000000000000')
BEGIN
  SELECT RAISE(ABORT, 'custody: a new entry must take the next seq and link to the last entry''s hash');
END;

CREATE TRIGGER custody_refuseUpdate BEFORE UPDATE ON custody
BEGIN
  SELECT RAISE(ABORT, 'custody is append-only: an entry can never be changed (chain of custody)');
END;

CREATE TRIGGER custody_refuseDelete BEFORE DELETE ON custody
BEGIN
  SELECT RAISE(ABORT, 'custody is append-only: an entry can never be deleted (chain of custody)');
END;
`;
