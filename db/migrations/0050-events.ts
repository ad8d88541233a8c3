// Any process opening a case file: migration 50, per-run sign-in, directory audit and Unified Audit Log rows, and the unified event timeline.
// Shipped migrations are never edited (DESIGN.md): add a new numbered module instead.

// Each log row keeps the record as received (`raw`) and points to the evidence page it was read from.
// `id` is the source's own record id; (run_id, id) is unique so a resumed run that reads a page again
// updates the row in place (same row_id) instead of duplicating it. Times are UTC ISO with
// milliseconds ('2024-05-01T10:00:00.000Z') so that text order is time order; a record whose export
// left its time out keeps NULL and gets no event.
export default /* sql */ `
CREATE TABLE sign_in (
  row_id                     INTEGER PRIMARY KEY,
  run_id                     TEXT NOT NULL REFERENCES collection_run (run_id),
  id                         TEXT NOT NULL,
  evidence_id                INTEGER NOT NULL REFERENCES evidence (id),
  created_at                 TEXT,
  user_id                    TEXT,
  user_principal_name        TEXT,
  app_id                     TEXT,
  app_display_name           TEXT,
  ip_address                 TEXT,
  error_code                 INTEGER,
  failure_reason             TEXT,
  authentication_requirement TEXT,
  conditional_access_status  TEXT,
  is_interactive             INTEGER CHECK (is_interactive IS NULL OR is_interactive IN (0, 1)),
  client_app_used            TEXT,
  location                   TEXT CHECK (location IS NULL OR json_valid(location)),
  raw                        TEXT NOT NULL CHECK (json_valid(raw)),
  UNIQUE (run_id, id)
) STRICT;

CREATE INDEX sign_in_byEvidenceId ON sign_in (evidence_id);

CREATE TABLE directory_audit (
  row_id                    INTEGER PRIMARY KEY,
  run_id                    TEXT NOT NULL REFERENCES collection_run (run_id),
  id                        TEXT NOT NULL,
  evidence_id               INTEGER NOT NULL REFERENCES evidence (id),
  activity_at               TEXT,
  category                  TEXT,
  activity_display_name     TEXT NOT NULL,
  operation                 TEXT NOT NULL,
  result                    TEXT,
  initiated_by_user_upn     TEXT,
  initiated_by_user_id      TEXT,
  initiated_by_app_id       TEXT,
  -- Graph leaves initiatedBy.app.appId null for managed identities; the service principal id is still there.
  initiated_by_app_sp_id    TEXT,
  initiated_by_app_name     TEXT,
  initiated_by_ip           TEXT,
  targets                   TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(targets)),
  raw                       TEXT NOT NULL CHECK (json_valid(raw)),
  UNIQUE (run_id, id)
) STRICT;

CREATE INDEX directory_audit_byEvidenceId ON directory_audit (evidence_id);

CREATE TABLE ual_record (
  row_id        INTEGER PRIMARY KEY,
  run_id        TEXT NOT NULL REFERENCES collection_run (run_id),
  id            TEXT NOT NULL,
  evidence_id   INTEGER NOT NULL REFERENCES evidence (id),
  created_at    TEXT,
  record_type   TEXT,
  workload      TEXT,
  raw_operation TEXT NOT NULL,
  operation     TEXT NOT NULL,
  result_status TEXT,
  user_id       TEXT,
  app_id        TEXT,
  client_ip     TEXT,
  object_id     TEXT,
  parameters    TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(parameters)),
  raw           TEXT NOT NULL CHECK (json_valid(raw)),
  UNIQUE (run_id, id)
) STRICT;

CREATE INDEX ual_record_byEvidenceId ON ual_record (evidence_id);

-- One timeline over every log source. source and result are not CHECKed so that a later source
-- (mailbox audit, Defender) needs no table rebuild; the writers use the values in
-- main/collect/normalize/record.ts. source_row_id is the row_id in the source's table.
CREATE TABLE event (
  id            INTEGER PRIMARY KEY,
  run_id        TEXT NOT NULL REFERENCES collection_run (run_id),
  at            TEXT NOT NULL CHECK (at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
  source        TEXT NOT NULL,
  record_id     TEXT NOT NULL,
  operation     TEXT NOT NULL,
  raw_operation TEXT NOT NULL,
  result        TEXT NOT NULL,
  actor_user    TEXT,
  actor_app_id  TEXT,
  actor_ip      TEXT,
  target_type   TEXT,
  target_id     TEXT,
  target_name   TEXT,
  evidence_id   INTEGER NOT NULL REFERENCES evidence (id),
  source_row_id INTEGER NOT NULL,
  UNIQUE (run_id, source, record_id)
) STRICT;

-- Time-range paging by (at, id): the rowid rides along in every index, so (at) serves ORDER BY at, id.
CREATE INDEX event_byAt ON event (at);
-- One run's timeline (a re-collection holds its own copy of every record it read again).
CREATE INDEX event_byRunIdAt ON event (run_id, at);
CREATE INDEX event_byOperationAt ON event (operation, at);
CREATE INDEX event_byActorIpAt ON event (actor_ip, at);
CREATE INDEX event_byTargetIdAt ON event (target_id, at);
CREATE INDEX event_byEvidenceId ON event (evidence_id);
`;
