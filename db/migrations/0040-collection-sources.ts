// Any process opening a case file: migration 40, per-source progress of a collection run — its checkpoint and its completeness account.
// Shipped migrations are never edited (DESIGN.md): add a new numbered module instead.

export default /* sql */ `
-- One row per source per run. next_url is the checkpoint: it is written in the same transaction as the
-- page's evidence and rows, so a killed run resumes at the first page it had not stored.
CREATE TABLE collection_source (
  run_id      TEXT NOT NULL REFERENCES collection_run (run_id),
  source      TEXT NOT NULL,
  label       TEXT NOT NULL,
  state       TEXT NOT NULL DEFAULT 'pending'
              CHECK (state IN ('pending', 'running', 'done', 'failed', 'cancelled')),
  pages       INTEGER NOT NULL DEFAULT 0 CHECK (pages >= 0),
  records     INTEGER NOT NULL DEFAULT 0 CHECK (records >= 0),
  next_url    TEXT,
  -- Time window for log sources (sign-ins, audits); NULL for directory objects.
  window_from TEXT,
  window_to   TEXT,
  -- What the service said it holds, where it says (e.g. ResultCount); NULL when unknown.
  expected    INTEGER CHECK (expected IS NULL OR expected >= 0),
  truncated   INTEGER NOT NULL DEFAULT 0 CHECK (truncated IN (0, 1)),
  retries     INTEGER NOT NULL DEFAULT 0 CHECK (retries >= 0),
  errors      INTEGER NOT NULL DEFAULT 0 CHECK (errors >= 0),
  last_error  TEXT,
  started_at  TEXT,
  finished_at TEXT,
  PRIMARY KEY (run_id, source)
) STRICT;
`;
