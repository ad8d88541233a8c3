// Any process opening a case file: migration 120, a collected Unified Audit Log record is kept once, in its evidence page, instead of again as `raw`.
// Shipped migrations are never edited (DESIGN.md): add a new numbered module instead.

// A Search-UnifiedAuditLog page is stored as evidence exactly as received ({"value":[...rows]}); copying each row into
// ual_record.raw doubled the case (about 1.7 KB a row). A collected row now keeps `page_index`, its position in the
// page's `value` list, and leaves `raw` NULL unless every detection run reads it (db/queries/logs.ts,
// readOnEveryDetection); imported records (whose evidence is the imported file) keep `raw` inline and no page_index.
// db/queries/ualRaw.ts reads either. Rows already in the case keep their inline `raw`.
//
// SQLite cannot relax NOT NULL in place, so the table is rebuilt (https://www.sqlite.org/lang_altertable.html, "Making
// Other Kinds Of Table Schema Changes"). The runner applies this inside a transaction with foreign keys on, where
// PRAGMA foreign_keys cannot be changed; that is safe here because no table has a FOREIGN KEY to ual_record (event
// keeps source_row_id without one) and no trigger or view names it. row_id is copied: events point to it. Every index
// on the table (0050, 0100) is made again under its name.
export default /* sql */ `
CREATE TABLE ual_record_new (
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
  raw           TEXT CHECK (raw IS NULL OR json_valid(raw)),
  -- Index of the record in the evidence page's "value" list; NULL for an imported record (raw inline).
  page_index    INTEGER CHECK (page_index IS NULL OR page_index >= 0),
  UNIQUE (run_id, id),
  CHECK (raw IS NOT NULL OR page_index IS NOT NULL)
) STRICT;

INSERT INTO ual_record_new (row_id, run_id, id, evidence_id, created_at, record_type, workload, raw_operation, operation,
  result_status, user_id, app_id, client_ip, object_id, parameters, raw, page_index)
SELECT row_id, run_id, id, evidence_id, created_at, record_type, workload, raw_operation, operation,
  result_status, user_id, app_id, client_ip, object_id, parameters, raw, NULL
FROM ual_record;

DROP TABLE ual_record;
ALTER TABLE ual_record_new RENAME TO ual_record;

CREATE INDEX ual_record_byEvidenceId ON ual_record (evidence_id);
CREATE INDEX ual_record_byRunIdRecordType ON ual_record (run_id, record_type);
`;
