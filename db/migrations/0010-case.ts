// Any process opening a case file: migration 10, the case's identity and the schema bookkeeping.
// Shipped migrations are never edited (DESIGN.md): add a new numbered module instead.

/**
 * SQLite header field that marks a file as a Peregrine case ('PRGN' as a big-endian int32),
 * so a random SQLite file is recognised as not-a-case. Never changes.
 */
export const PEREGRINE_APPLICATION_ID = 1347569486;

export default /* sql */ `
PRAGMA application_id = ${PEREGRINE_APPLICATION_ID};

-- One row per migration applied, with the Peregrine version that applied it: lets an older
-- Peregrine tell the consultant which version they need.
CREATE TABLE schema_migration (
  version      INTEGER PRIMARY KEY,
  name         TEXT NOT NULL,
  applied_at   TEXT NOT NULL,
  tool_version TEXT
) STRICT;

-- Exactly one row (singleton = 1).
CREATE TABLE case_meta (
  singleton    INTEGER PRIMARY KEY CHECK (singleton = 1),
  case_id      TEXT NOT NULL CHECK (length(case_id) = 36),
  name         TEXT NOT NULL CHECK (length(trim(name)) > 0),
  client       TEXT,
  examiner     TEXT NOT NULL CHECK (length(trim(examiner)) > 0),
  reference    TEXT,
  time_zone    TEXT NOT NULL DEFAULT 'UTC',
  created_at   TEXT NOT NULL,
  tool_version TEXT NOT NULL
) STRICT;

CREATE TRIGGER case_meta_keepIdentity BEFORE UPDATE OF singleton, case_id, created_at ON case_meta
BEGIN
  SELECT RAISE(ABORT, 'case_meta: a case keeps its id and creation time for life');
END;

CREATE TRIGGER case_meta_refuseDelete BEFORE DELETE ON case_meta
BEGIN
  SELECT RAISE(ABORT, 'case_meta: the case identity cannot be deleted');
END;
`;
