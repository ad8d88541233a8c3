// Any process with a case file open: per-run snapshots of applications, service principals and the organization.
import type { Database } from 'better-sqlite3';
import { z } from 'zod';
import { CaseFileError, EntityShapeError } from '../errors';
import type { JsonObject, JsonValue } from '../json';

// ---- what we read from Graph objects (extra properties pass through into `raw`) -------------------

const text = z.string().nullish();

const PasswordCredential = z.looseObject({
  keyId: z.string(),
  displayName: text,
  hint: text,
  startDateTime: text,
  endDateTime: text,
});

const KeyCredential = z.looseObject({
  keyId: z.string(),
  displayName: text,
  type: text,
  usage: text,
  startDateTime: text,
  endDateTime: text,
  customKeyIdentifier: text,
});

const RequiredResourceAccessShape = z.looseObject({
  resourceAppId: z.string(),
  resourceAccess: z.array(z.looseObject({ id: z.string(), type: z.string() })),
});

const VerifiedPublisherShape = z.looseObject({
  displayName: text,
  verifiedPublisherId: text,
  addedDateTime: text,
});

const AppRoleShape = z.looseObject({
  id: z.string(),
  value: text,
  displayName: text,
  description: text,
  allowedMemberTypes: z.array(z.string()).nullish(),
  isEnabled: z.boolean().nullish(),
});

const GraphApplication = z.looseObject({
  id: z.string().min(1),
  appId: z.string().min(1),
  displayName: text,
  signInAudience: text,
  createdDateTime: text,
  publisherDomain: text,
  verifiedPublisher: VerifiedPublisherShape.nullish(),
  requiredResourceAccess: z.array(RequiredResourceAccessShape).nullish(),
  passwordCredentials: z.array(PasswordCredential).nullish(),
  keyCredentials: z.array(KeyCredential).nullish(),
});

const GraphServicePrincipal = z.looseObject({
  id: z.string().min(1),
  appId: z.string().min(1),
  displayName: text,
  servicePrincipalType: text,
  appOwnerOrganizationId: text,
  accountEnabled: z.boolean().nullish(),
  createdDateTime: text,
  publisherName: text,
  verifiedPublisher: VerifiedPublisherShape.nullish(),
  appRoleAssignmentRequired: z.boolean().nullish(),
  tags: z.array(z.string()).nullish(),
  replyUrls: z.array(z.string()).nullish(),
  servicePrincipalNames: z.array(z.string()).nullish(),
  appRoles: z.array(AppRoleShape).nullish(),
  passwordCredentials: z.array(PasswordCredential).nullish(),
  keyCredentials: z.array(KeyCredential).nullish(),
});

const GraphOrganization = z.looseObject({
  id: z.string().min(1),
  displayName: text,
  verifiedDomains: z
    .array(
      z.looseObject({
        name: z.string(),
        isDefault: z.boolean().nullish(),
        isInitial: z.boolean().nullish(),
        type: text,
        capabilities: text,
      }),
    )
    .nullish(),
});

// ---- what the case file keeps ------------------------------------------------------------------

/** Metadata of a client secret. The secret value itself is never stored. */
export interface PasswordCredentialMeta {
  keyId: string;
  displayName: string | null;
  /** First characters of the secret as Graph reports them (not the secret). */
  hint: string | null;
  startDateTime: string | null;
  endDateTime: string | null;
}

/** Metadata of a certificate credential. The key material is never stored. */
export interface KeyCredentialMeta {
  keyId: string;
  displayName: string | null;
  type: string | null;
  usage: string | null;
  startDateTime: string | null;
  endDateTime: string | null;
  customKeyIdentifier: string | null;
}

export interface RequiredResourceAccess {
  resourceAppId: string;
  resourceAccess: { id: string; type: string }[];
}

export interface VerifiedPublisher {
  displayName: string | null;
  verifiedPublisherId: string | null;
  addedDateTime: string | null;
}

export interface AppRoleMeta {
  id: string;
  value: string | null;
  displayName: string | null;
  description: string | null;
  allowedMemberTypes: string[];
  isEnabled: boolean | null;
}

export interface VerifiedDomain {
  name: string;
  isDefault: boolean | null;
  isInitial: boolean | null;
  type: string | null;
  capabilities: string | null;
}

interface Snapshot {
  runId: string;
  objectId: string;
  evidenceId: number;
  /** sha256 of the evidence body this snapshot was read from. */
  evidenceSha256: string;
  /** The Graph object as received, with secret values removed. */
  raw: JsonObject;
}

export interface ApplicationRecord extends Snapshot {
  appId: string;
  displayName: string | null;
  signInAudience: string | null;
  /** Graph `createdDateTime`. */
  createdAt: string | null;
  publisherDomain: string | null;
  verifiedPublisher: VerifiedPublisher | null;
  requiredResourceAccess: RequiredResourceAccess[];
  passwordCredentials: PasswordCredentialMeta[];
  keyCredentials: KeyCredentialMeta[];
}

export interface ServicePrincipalRecord extends Snapshot {
  appId: string;
  displayName: string | null;
  servicePrincipalType: string | null;
  appOwnerOrganizationId: string | null;
  accountEnabled: boolean | null;
  createdAt: string | null;
  publisherName: string | null;
  verifiedPublisher: VerifiedPublisher | null;
  appRoleAssignmentRequired: boolean | null;
  tags: string[];
  replyUrls: string[];
  servicePrincipalNames: string[];
  appRoles: AppRoleMeta[];
  passwordCredentials: PasswordCredentialMeta[];
  keyCredentials: KeyCredentialMeta[];
}

export interface OrganizationRecord {
  runId: string;
  /** The organization object's id, which is the tenant id. */
  tenantId: string;
  evidenceId: number;
  evidenceSha256: string;
  displayName: string | null;
  verifiedDomains: VerifiedDomain[];
  raw: JsonObject;
}

// ---- secrets never reach the case file ----------------------------------------------------------

const CREDENTIAL_LISTS = new Set(['passwordCredentials', 'keyCredentials']);

/**
 * A deep copy without secret values: `secretText` wherever it appears (only ever present in an
 * addPassword answer) and `key` inside credential lists (certificate material). Other `key`
 * properties (e.g. addIns' key/value pairs) are ordinary data and stay.
 */
export function withoutSecrets(value: unknown, inCredentialList = false): JsonValue {
  if (Array.isArray(value)) return value.map((v) => withoutSecrets(v, inCredentialList));
  if (value !== null && typeof value === 'object') {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === 'secretText' || (inCredentialList && k === 'key')) continue;
      if (v === undefined) continue;
      out[k] = withoutSecrets(v, CREDENTIAL_LISTS.has(k));
    }
    return out;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || value === null) return value;
  return null;
}

const passwordMeta = (list: z.infer<typeof PasswordCredential>[] | null | undefined): PasswordCredentialMeta[] =>
  (list ?? []).map((c) => ({
    keyId: c.keyId,
    displayName: c.displayName ?? null,
    hint: c.hint ?? null,
    startDateTime: c.startDateTime ?? null,
    endDateTime: c.endDateTime ?? null,
  }));

const keyMeta = (list: z.infer<typeof KeyCredential>[] | null | undefined): KeyCredentialMeta[] =>
  (list ?? []).map((c) => ({
    keyId: c.keyId,
    displayName: c.displayName ?? null,
    type: c.type ?? null,
    usage: c.usage ?? null,
    startDateTime: c.startDateTime ?? null,
    endDateTime: c.endDateTime ?? null,
    customKeyIdentifier: c.customKeyIdentifier ?? null,
  }));

const publisher = (p: z.infer<typeof VerifiedPublisherShape> | null | undefined): VerifiedPublisher | null =>
  p ? { displayName: p.displayName ?? null, verifiedPublisherId: p.verifiedPublisherId ?? null, addedDateTime: p.addedDateTime ?? null } : null;

// ---- validation -----------------------------------------------------------------------------------

/** Each object validated, paired with the original (kept, minus secrets, as `raw` in its key order). */
export function parseAll<S extends z.ZodType>(
  schema: S,
  objects: unknown[],
  kind: string,
  evidenceId: number,
): { value: z.output<S>; original: unknown }[] {
  return objects.map((object, index) => {
    const result = schema.safeParse(object);
    if (result.success) return { value: result.data, original: object };
    const issue = result.error.issues[0];
    const field = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : '(the object itself)';
    const id = object !== null && typeof object === 'object' && typeof (object as { id?: unknown }).id === 'string'
      ? ` (id ${(object as { id: string }).id})`
      : '';
    throw new EntityShapeError(
      `Evidence ${evidenceId}: ${kind} #${index}${id} cannot be read: field '${field}': ${issue?.message ?? 'invalid'}. ` +
        'The response is kept as evidence; no entities were derived from this page.',
      evidenceId,
      field,
    );
  });
}

export function checkEvidenceRun(db: Database, runId: string, evidenceId: number): void {
  const evidenceRun = db.prepare('SELECT run_id FROM evidence WHERE id = ?').pluck().get(evidenceId) as string | undefined;
  if (evidenceRun === undefined) {
    throw new CaseFileError('invalid_input', `There is no evidence ${evidenceId} in this case to derive entities from.`);
  }
  if (evidenceRun !== runId) {
    throw new CaseFileError('invalid_input', `Evidence ${evidenceId} belongs to run ${evidenceRun}, not to run ${runId}.`);
  }
}

const json = (v: unknown): string => JSON.stringify(v);
const bool = (v: boolean | null | undefined): number | null => (v === null || v === undefined ? null : v ? 1 : 0);

// ---- writes -------------------------------------------------------------------------------------

/**
 * Stores one snapshot per application for the run, derived from evidence `evidenceId` (the page the
 * objects came from). All objects are validated before any is written: one bad object refuses the
 * page. Seeing an object twice in a run keeps the later observation. Returns rows written.
 */
export function insertApplications(db: Database, runId: string, evidenceId: number, apps: unknown[]): number {
  const parsed = parseAll(GraphApplication, apps, 'application', evidenceId);
  const insert = db.prepare(
    `INSERT OR REPLACE INTO application (run_id, object_id, evidence_id, app_id, display_name, sign_in_audience, created_at,
       publisher_domain, verified_publisher, required_resource_access, password_credentials, key_credentials, raw)
     VALUES (@runId, @objectId, @evidenceId, @appId, @displayName, @signInAudience, @createdAt,
       @publisherDomain, @verifiedPublisher, @requiredResourceAccess, @passwordCredentials, @keyCredentials, @raw)`,
  );
  db.transaction(() => {
    checkEvidenceRun(db, runId, evidenceId);
    for (const { value: app, original } of parsed) {
      const verified = publisher(app.verifiedPublisher);
      insert.run({
        runId,
        objectId: app.id,
        evidenceId,
        appId: app.appId,
        displayName: app.displayName ?? null,
        signInAudience: app.signInAudience ?? null,
        createdAt: app.createdDateTime ?? null,
        publisherDomain: app.publisherDomain ?? null,
        verifiedPublisher: verified ? json(verified) : null,
        requiredResourceAccess: json(
          (app.requiredResourceAccess ?? []).map((r) => ({
            resourceAppId: r.resourceAppId,
            resourceAccess: r.resourceAccess.map((a) => ({ id: a.id, type: a.type })),
          })),
        ),
        passwordCredentials: json(passwordMeta(app.passwordCredentials)),
        keyCredentials: json(keyMeta(app.keyCredentials)),
        raw: json(withoutSecrets(original)),
      });
    }
  })();
  return parsed.length;
}

/** As insertApplications, for service principals (which can hold credentials of their own). */
export function insertServicePrincipals(db: Database, runId: string, evidenceId: number, servicePrincipals: unknown[]): number {
  const parsed = parseAll(GraphServicePrincipal, servicePrincipals, 'service principal', evidenceId);
  const insert = db.prepare(
    `INSERT OR REPLACE INTO service_principal (run_id, object_id, evidence_id, app_id, display_name, service_principal_type,
       app_owner_organization_id, account_enabled, created_at, publisher_name, verified_publisher,
       app_role_assignment_required, tags, reply_urls, service_principal_names, app_roles,
       password_credentials, key_credentials, raw)
     VALUES (@runId, @objectId, @evidenceId, @appId, @displayName, @servicePrincipalType,
       @appOwnerOrganizationId, @accountEnabled, @createdAt, @publisherName, @verifiedPublisher,
       @appRoleAssignmentRequired, @tags, @replyUrls, @servicePrincipalNames, @appRoles,
       @passwordCredentials, @keyCredentials, @raw)`,
  );
  db.transaction(() => {
    checkEvidenceRun(db, runId, evidenceId);
    for (const { value: sp, original } of parsed) {
      const verified = publisher(sp.verifiedPublisher);
      insert.run({
        runId,
        objectId: sp.id,
        evidenceId,
        appId: sp.appId,
        displayName: sp.displayName ?? null,
        servicePrincipalType: sp.servicePrincipalType ?? null,
        appOwnerOrganizationId: sp.appOwnerOrganizationId ?? null,
        accountEnabled: bool(sp.accountEnabled),
        createdAt: sp.createdDateTime ?? null,
        publisherName: sp.publisherName ?? null,
        verifiedPublisher: verified ? json(verified) : null,
        appRoleAssignmentRequired: bool(sp.appRoleAssignmentRequired),
        tags: json(sp.tags ?? []),
        replyUrls: json(sp.replyUrls ?? []),
        servicePrincipalNames: json(sp.servicePrincipalNames ?? []),
        appRoles: json(
          (sp.appRoles ?? []).map((r): AppRoleMeta => ({
            id: r.id,
            value: r.value ?? null,
            displayName: r.displayName ?? null,
            description: r.description ?? null,
            allowedMemberTypes: r.allowedMemberTypes ?? [],
            isEnabled: r.isEnabled ?? null,
          })),
        ),
        passwordCredentials: json(passwordMeta(sp.passwordCredentials)),
        keyCredentials: json(keyMeta(sp.keyCredentials)),
        raw: json(withoutSecrets(original)),
      });
    }
  })();
  return parsed.length;
}

/** The `value` array of GET /organization (one object in practice). */
export function insertOrganization(db: Database, runId: string, evidenceId: number, organizations: unknown[]): number {
  const parsed = parseAll(GraphOrganization, organizations, 'organization', evidenceId);
  const insert = db.prepare(
    `INSERT OR REPLACE INTO organization (run_id, tenant_id, evidence_id, display_name, verified_domains, raw)
     VALUES (@runId, @tenantId, @evidenceId, @displayName, @verifiedDomains, @raw)`,
  );
  db.transaction(() => {
    checkEvidenceRun(db, runId, evidenceId);
    for (const { value: org, original } of parsed) {
      insert.run({
        runId,
        tenantId: org.id,
        evidenceId,
        displayName: org.displayName ?? null,
        verifiedDomains: json(
          (org.verifiedDomains ?? []).map((d): VerifiedDomain => ({
            name: d.name,
            isDefault: d.isDefault ?? null,
            isInitial: d.isInitial ?? null,
            type: d.type ?? null,
            capabilities: d.capabilities ?? null,
          })),
        ),
        raw: json(withoutSecrets(original)),
      });
    }
  })();
  return parsed.length;
}

// ---- reads --------------------------------------------------------------------------------------

interface ApplicationColumns {
  run_id: string;
  object_id: string;
  evidence_id: number;
  evidence_sha256: string;
  app_id: string;
  display_name: string | null;
  sign_in_audience: string | null;
  created_at: string | null;
  publisher_domain: string | null;
  verified_publisher: string | null;
  required_resource_access: string;
  password_credentials: string;
  key_credentials: string;
  raw: string;
}

interface ServicePrincipalColumns {
  run_id: string;
  object_id: string;
  evidence_id: number;
  evidence_sha256: string;
  app_id: string;
  display_name: string | null;
  service_principal_type: string | null;
  app_owner_organization_id: string | null;
  account_enabled: number | null;
  created_at: string | null;
  publisher_name: string | null;
  verified_publisher: string | null;
  app_role_assignment_required: number | null;
  tags: string;
  reply_urls: string;
  service_principal_names: string;
  app_roles: string;
  password_credentials: string;
  key_credentials: string;
  raw: string;
}

interface OrganizationColumns {
  run_id: string;
  tenant_id: string;
  evidence_id: number;
  evidence_sha256: string;
  display_name: string | null;
  verified_domains: string;
  raw: string;
}

const parse = <T>(text: string): T => JSON.parse(text) as T;
const parseOrNull = <T>(text: string | null): T | null => (text === null ? null : parse<T>(text));
const flag = (v: number | null): boolean | null => (v === null ? null : v === 1);

/** Display-name order (then object id), so lists are stable. */
export function listApplications(db: Database, runId: string): ApplicationRecord[] {
  const rows = db
    .prepare(
      `SELECT a.*, e.sha256 AS evidence_sha256 FROM application a JOIN evidence e ON e.id = a.evidence_id
       WHERE a.run_id = ? ORDER BY a.display_name COLLATE NOCASE, a.object_id`,
    )
    .all(runId) as ApplicationColumns[];
  return rows.map((r) => ({
    runId: r.run_id,
    objectId: r.object_id,
    evidenceId: r.evidence_id,
    evidenceSha256: r.evidence_sha256,
    appId: r.app_id,
    displayName: r.display_name,
    signInAudience: r.sign_in_audience,
    createdAt: r.created_at,
    publisherDomain: r.publisher_domain,
    verifiedPublisher: parseOrNull<VerifiedPublisher>(r.verified_publisher),
    requiredResourceAccess: parse<RequiredResourceAccess[]>(r.required_resource_access),
    passwordCredentials: parse<PasswordCredentialMeta[]>(r.password_credentials),
    keyCredentials: parse<KeyCredentialMeta[]>(r.key_credentials),
    raw: parse<JsonObject>(r.raw),
  }));
}

export function listServicePrincipals(db: Database, runId: string): ServicePrincipalRecord[] {
  const rows = db
    .prepare(
      `SELECT s.*, e.sha256 AS evidence_sha256 FROM service_principal s JOIN evidence e ON e.id = s.evidence_id
       WHERE s.run_id = ? ORDER BY s.display_name COLLATE NOCASE, s.object_id`,
    )
    .all(runId) as ServicePrincipalColumns[];
  return rows.map((r) => ({
    runId: r.run_id,
    objectId: r.object_id,
    evidenceId: r.evidence_id,
    evidenceSha256: r.evidence_sha256,
    appId: r.app_id,
    displayName: r.display_name,
    servicePrincipalType: r.service_principal_type,
    appOwnerOrganizationId: r.app_owner_organization_id,
    accountEnabled: flag(r.account_enabled),
    createdAt: r.created_at,
    publisherName: r.publisher_name,
    verifiedPublisher: parseOrNull<VerifiedPublisher>(r.verified_publisher),
    appRoleAssignmentRequired: flag(r.app_role_assignment_required),
    tags: parse<string[]>(r.tags),
    replyUrls: parse<string[]>(r.reply_urls),
    servicePrincipalNames: parse<string[]>(r.service_principal_names),
    appRoles: parse<AppRoleMeta[]>(r.app_roles),
    passwordCredentials: parse<PasswordCredentialMeta[]>(r.password_credentials),
    keyCredentials: parse<KeyCredentialMeta[]>(r.key_credentials),
    raw: parse<JsonObject>(r.raw),
  }));
}

/** The run's organization (the signed-in tenant), or null if the run did not collect it. */
export function getOrganization(db: Database, runId: string): OrganizationRecord | null {
  const r = db
    .prepare(
      `SELECT o.*, e.sha256 AS evidence_sha256 FROM organization o JOIN evidence e ON e.id = o.evidence_id
       WHERE o.run_id = ? ORDER BY o.tenant_id LIMIT 1`,
    )
    .get(runId) as OrganizationColumns | undefined;
  if (!r) return null;
  return {
    runId: r.run_id,
    tenantId: r.tenant_id,
    evidenceId: r.evidence_id,
    evidenceSha256: r.evidence_sha256,
    displayName: r.display_name,
    verifiedDomains: parse<VerifiedDomain[]>(r.verified_domains),
    raw: parse<JsonObject>(r.raw),
  };
}
