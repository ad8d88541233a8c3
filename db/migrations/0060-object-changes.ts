// Any process opening a case file: migration 60, what changed per object between two collections (appeared, disappeared, modified).
// Shipped migrations are never edited (DESIGN.md): add a new numbered module instead.

export default /* sql */ `
-- Written when a collection finishes, against the previous clean collection of the same source:
-- how a deleted-then-recreated connector, or the effect of a remediation step, becomes visible.
CREATE TABLE object_change (
  run_id          TEXT NOT NULL REFERENCES collection_run (run_id),
  previous_run_id TEXT NOT NULL REFERENCES collection_run (run_id),
  entity          TEXT NOT NULL,
  object_id       TEXT NOT NULL,
  display_name    TEXT,
  change          TEXT NOT NULL CHECK (change IN ('appeared', 'disappeared', 'modified')),
  -- For 'modified': the top-level properties whose values differ, as a JSON array of names.
  fields          TEXT CHECK (fields IS NULL OR json_valid(fields)),
  PRIMARY KEY (run_id, entity, object_id)
) STRICT;

CREATE INDEX object_change_byEntityObjectId ON object_change (entity, object_id);
`;
