// Any process opening a case file: migration 30, per-run snapshots of applications, service principals, organization.
// Shipped migrations are never edited (DESIGN.md): add a new numbered module instead.

// Snapshots are kept for every run (primary key run_id + object id) so a re-collection after
// remediation can be compared with the state before it. Credentials are metadata only; the CHECKs
// refuse a secret value that slipped through the code path.
export default /* sql */ `
CREATE TABLE application (
  run_id                   TEXT NOT NULL REFERENCES collection_run (run_id),
  object_id                TEXT NOT NULL,
  evidence_id              INTEGER NOT NULL REFERENCES evidence (id),
  app_id                   TEXT NOT NULL,
  display_name             TEXT,
  sign_in_audience         TEXT,
  created_at               TEXT,
  publisher_domain         TEXT,
  verified_publisher       TEXT CHECK (verified_publisher IS NULL OR json_valid(verified_publisher)),
  required_resource_access TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(required_resource_access)),
  password_credentials     TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(password_credentials)
                                                            AND instr(password_credentials, '"secretText"') = 0),
  key_credentials          TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(key_credentials)
                                                            AND instr(key_credentials, '"key"') = 0),
  raw                      TEXT NOT NULL CHECK (json_valid(raw) AND instr(raw, '"secretText"') = 0),
  PRIMARY KEY (run_id, object_id)
) STRICT;

CREATE INDEX application_byAppId ON application (app_id);
CREATE INDEX application_byEvidenceId ON application (evidence_id);

CREATE TABLE service_principal (
  run_id                       TEXT NOT NULL REFERENCES collection_run (run_id),
  object_id                    TEXT NOT NULL,
  evidence_id                  INTEGER NOT NULL REFERENCES evidence (id),
  app_id                       TEXT NOT NULL,
  display_name                 TEXT,
  service_principal_type       TEXT,
  app_owner_organization_id    TEXT,
  account_enabled              INTEGER CHECK (account_enabled IS NULL OR account_enabled IN (0, 1)),
  created_at                   TEXT,
  publisher_name               TEXT,
  verified_publisher           TEXT CHECK (verified_publisher IS NULL OR json_valid(verified_publisher)),
  app_role_assignment_required INTEGER CHECK (app_role_assignment_required IS NULL
                                              OR app_role_assignment_required IN (0, 1)),
  tags                         TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(tags)),
  reply_urls                   TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(reply_urls)),
  service_principal_names      TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(service_principal_names)),
  app_roles                    TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(app_roles)),
  password_credentials         TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(password_credentials)
                                                                AND instr(password_credentials, '"secretText"') = 0),
  key_credentials              TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(key_credentials)
                                                                AND instr(key_credentials, '"key"') = 0),
  raw                          TEXT NOT NULL CHECK (json_valid(raw) AND instr(raw, '"secretText"') = 0),
  PRIMARY KEY (run_id, object_id)
) STRICT;

CREATE INDEX service_principal_byAppId ON service_principal (app_id);
CREATE INDEX service_principal_byEvidenceId ON service_principal (evidence_id);

-- GET /organization answers one object for the signed-in tenant; the detector needs its domains.
CREATE TABLE organization (
  run_id           TEXT NOT NULL REFERENCES collection_run (run_id),
  tenant_id        TEXT NOT NULL,
  evidence_id      INTEGER NOT NULL REFERENCES evidence (id),
  display_name     TEXT,
  verified_domains TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(verified_domains)),
  raw              TEXT NOT NULL CHECK (json_valid(raw)),
  PRIMARY KEY (run_id, tenant_id)
) STRICT;

CREATE INDEX organization_byEvidenceId ON organization (evidence_id);
`;
