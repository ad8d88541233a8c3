// Any process opening a case file: migration 70, per-run snapshots of every other tenant object a collection reads (users, roles, grants, policies, Exchange configuration).
// Shipped migrations are never edited (DESIGN.md): add a new numbered module instead.

// One table, keyed by kind, because these objects are read as Microsoft serves them and queried by a few
// fields each: the raw JSON keeps everything, the columns keep what lists and joins need.
export default /* sql */ `
CREATE TABLE tenant_object (
  run_id       TEXT NOT NULL REFERENCES collection_run (run_id),
  kind         TEXT NOT NULL,
  object_id    TEXT NOT NULL,
  evidence_id  INTEGER NOT NULL REFERENCES evidence (id),
  display_name TEXT,
  -- For relationship objects (assignments, grants): who holds it and on what.
  principal_id TEXT,
  resource_id  TEXT,
  raw          TEXT NOT NULL CHECK (json_valid(raw) AND instr(raw, '"secretText"') = 0),
  PRIMARY KEY (run_id, kind, object_id)
) STRICT;

CREATE INDEX tenant_object_byKindPrincipalId ON tenant_object (kind, principal_id);
CREATE INDEX tenant_object_byEvidenceId ON tenant_object (evidence_id);
`;
