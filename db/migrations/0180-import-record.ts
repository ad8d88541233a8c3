// Any process opening a case file: migration 180, where each imported record sits in the file it was imported from.
// Shipped migrations are never edited (DESIGN.md): add a new numbered module instead.

// An imported file is kept whole as evidence, in chunks of whole records (main/import): evidence_id is the chunk,
// line and byte_offset the record's first line and byte in the file (byte_length its bytes, without the line break).
// Keyed as the event it belongs to, (run_id, source, record_id): a record imported twice in one run points at the
// last place it was read from, as a collected record read again points at its last page.
export default /* sql */ `
CREATE TABLE import_record (
  run_id      TEXT NOT NULL REFERENCES collection_run (run_id),
  source      TEXT NOT NULL,
  record_id   TEXT NOT NULL,
  evidence_id INTEGER NOT NULL REFERENCES evidence (id),
  line        INTEGER NOT NULL CHECK (line >= 1),
  byte_offset INTEGER NOT NULL CHECK (byte_offset >= 0),
  byte_length INTEGER NOT NULL CHECK (byte_length >= 1),
  PRIMARY KEY (run_id, source, record_id)
) STRICT;

CREATE INDEX import_record_byEvidenceId ON import_record (evidence_id);
`;
