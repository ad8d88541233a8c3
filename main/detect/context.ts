// Main process / CLI / workers: what the rules read from one collection, each part read once and shared by every rule.
import type { Database } from 'better-sqlite3';
import { getOrganization, listApplications, listServicePrincipals, type ApplicationRecord, type ServicePrincipalRecord } from '../../db/queries/directory';
import { listObjects, type TenantObjectRecord } from '../../db/queries/objects';
import type { CollectionRun } from '../../db/queries/runs';
import { ualRawReader, type UalRawRef } from '../../db/queries/ualRaw';
import type { FindingObject } from '../../preload/contract';

/** Property changes of a directory audit target (Graph modifiedProperties, UAL ModifiedProperties), values unquoted. */
export interface PropertyChange {
  name: string;
  oldValue: string;
  newValue: string;
}

/** A directory change, from the directory audit log or its Unified Audit Log mirror (RecordType 8). */
export interface DirectoryActivity {
  eventId: number;
  at: string;
  source: 'directory_audit' | 'ual';
  /** Normalised operation, e.g. 'add application', 'update application - certificates and secrets management'. */
  operation: string;
  result: string;
  actorUser: string | null;
  actorAppId: string | null;
  actorIp: string | null;
  /** Ids of every target (objects, roles), lower case. */
  targetIds: Set<string>;
  targetNames: string[];
  /** Modified properties of every target. */
  changes: PropertyChange[];
}

/** An Exchange cmdlet run from the Unified Audit Log (RecordType ExchangeAdmin). */
export interface ExchangeCmdlet {
  eventId: number;
  at: string;
  /** As Exchange writes it: 'New-InboundConnector'. */
  cmdlet: string;
  /** Lower case: 'new-inboundconnector'. */
  operation: string;
  result: string;
  actorUser: string | null;
  actorAppId: string | null;
  actorIp: string | null;
  /** ObjectId, else the Identity or Name parameter. */
  object: string | null;
  params: Record<string, string>;
}

export interface DetectContext {
  db: Database;
  run: CollectionRun;
  runId: string;
  /** When the evidence was collected: ages are measured from here, not from the examiner's clock. */
  collectedAt: string;
  /** First labels of the tenant's verified domains (`contoso` for contoso.onmicrosoft.com). */
  domainLabels: string[];
  /** The tenant's verified domains, lower case: mail to other domains is external. */
  domains: string[];
  tenantId: string | null;
  applications(): ApplicationRecord[];
  servicePrincipals(): ServicePrincipalRecord[];
  objects(kind: string): TenantObjectRecord[];
  directoryActivity(): DirectoryActivity[];
  exchangeCmdlets(): ExchangeCmdlet[];
  /** Directory role display names by template id (collected directoryRoles first, then well-known names). */
  roleName(templateId: string): string;
}

export function objectRef(kind: string, o: { runId: string; objectId: string; evidenceId: number; evidenceSha256: string }, name: string | null): FindingObject {
  return { kind, id: o.objectId, name, runId: o.runId, evidenceId: o.evidenceId, evidenceSha256: o.evidenceSha256 };
}

const unquote = (v: unknown): string => {
  if (typeof v !== 'string') return v === null || v === undefined ? '' : JSON.stringify(v);
  const t = v.trim();
  if (t.length >= 2 && t.startsWith('"') && t.endsWith('"')) {
    try {
      const parsed = JSON.parse(t) as unknown;
      return typeof parsed === 'string' ? parsed : t;
    } catch {
      return t.slice(1, -1);
    }
  }
  return t;
};

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Well-known directory role names, for roles the collection did not list (a role with no members is not activated). */
export const WELL_KNOWN_ROLES: Record<string, string> = {
  '62e90394-69f5-4237-9190-012177145e10': 'Global Administrator',
  '29232cdf-9323-42fd-ade2-1d097af3e4de': 'Exchange Administrator',
  'e8611ab8-c189-46e8-94e1-60213ab1f814': 'Privileged Role Administrator',
  '7be44c8a-adaf-4e2a-84d6-ab2649e08a13': 'Privileged Authentication Administrator',
  '9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3': 'Application Administrator',
  '158c047a-c907-4556-b7ef-446551a6b5f7': 'Cloud Application Administrator',
  '194ae4cb-b126-40b2-bd5b-6091b380977d': 'Security Administrator',
  'fe930be7-5e62-47db-91af-98c3a49a38b1': 'User Administrator',
  'f28a1f50-f6e7-4571-818b-6a12f2af6b6c': 'SharePoint Administrator',
  '8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2': 'Hybrid Identity Administrator',
  'c4e39bd9-1100-46d3-8c65-fb160da0071f': 'Authentication Administrator',
  'b1be1c3e-b65d-4f19-8427-f6fa0d97feb9': 'Conditional Access Administrator',
  '729827e3-9c14-49f7-bb1b-9608f156bbb8': 'Helpdesk Administrator',
  '3a2c62db-5318-420d-8d74-23affee5d9d5': 'Intune Administrator',
  '17315797-102d-40b4-93e0-432062caca18': 'Compliance Administrator',
  '69091246-20e8-4a56-aa4d-066075b2a7a8': 'Teams Administrator',
  'f2ef992c-3afb-46b9-b7cf-a126ee74c451': 'Global Reader',
  '5d6b6bb7-de71-4623-b4af-96380a352509': 'Security Reader',
  '88d8e3e3-8f55-4a1e-953a-9b9898b8876b': 'Directory Readers',
};

interface AuditRow {
  event_id: number;
  at: string;
  operation: string;
  result: string;
  actor_user: string | null;
  actor_app_id: string | null;
  actor_ip: string | null;
  targets: string;
}

export function createContext(db: Database, run: CollectionRun): DetectContext {
  const runId = run.runId;
  const org = getOrganization(db, runId);
  const domains = [...new Set((org?.verifiedDomains ?? []).map((d) => d.name.toLowerCase()))];
  const domainLabels = [...new Set(domains.map((d) => d.split('.')[0] ?? '').filter((l) => l.length > 0))];
  const once = <T>(load: () => T) => {
    let value: T | undefined;
    return () => (value ??= load());
  };
  const objectCache = new Map<string, TenantObjectRecord[]>();
  const objects = (kind: string) => {
    let list = objectCache.get(kind);
    if (!list) objectCache.set(kind, (list = listObjects(db, runId, kind)));
    return list;
  };
  const roleNames = once(() => {
    const names = new Map(Object.entries(WELL_KNOWN_ROLES));
    for (const r of objects('directoryRole')) {
      const template = typeof r.raw.roleTemplateId === 'string' ? r.raw.roleTemplateId : null;
      if (template && r.displayName) names.set(template.toLowerCase(), r.displayName);
    }
    return names;
  });

  return {
    db,
    run,
    runId,
    collectedAt: referenceTime(db, run),
    domainLabels,
    domains,
    tenantId: org?.tenantId ?? null,
    applications: once(() => listApplications(db, runId)),
    servicePrincipals: once(() => listServicePrincipals(db, runId)),
    objects,
    directoryActivity: once(() => readDirectoryActivity(db, runId)),
    exchangeCmdlets: once(() => readExchangeCmdlets(db, runId)),
    roleName: (templateId) => roleNames().get(templateId.toLowerCase()) ?? templateId,
  };
}

/**
 * The instant the evidence describes: the end of the window the collection read (its sources' window_to), or when it
 * finished. They are the same for a live tenant; a replayed or simulated tenant has its own "now".
 */
function referenceTime(db: Database, run: CollectionRun): string {
  const finished = run.finishedAt ?? run.startedAt;
  const windowEnd = db.prepare('SELECT max(window_to) FROM collection_source WHERE run_id = ?').pluck().get(run.runId) as string | null;
  return windowEnd !== null && Date.parse(windowEnd) < Date.parse(finished) ? new Date(Date.parse(windowEnd)).toISOString() : finished;
}

function readDirectoryActivity(db: Database, runId: string): DirectoryActivity[] {
  const out: DirectoryActivity[] = [];
  const audits = db
    .prepare(
      `SELECT e.id AS event_id, e.at, e.operation, e.result, e.actor_user, e.actor_app_id, e.actor_ip, d.targets
       FROM directory_audit d CROSS JOIN event e ON e.run_id = d.run_id AND e.source = 'directory_audit' AND e.record_id = d.id
       WHERE d.run_id = ?`,
    )
    .all(runId) as AuditRow[];
  for (const a of audits) {
    const targets = JSON.parse(a.targets) as { id?: unknown; displayName?: unknown; userPrincipalName?: unknown; modifiedProperties?: unknown }[];
    out.push({
      eventId: a.event_id, at: a.at, source: 'directory_audit', operation: a.operation, result: a.result,
      actorUser: a.actor_user, actorAppId: a.actor_app_id, actorIp: a.actor_ip,
      targetIds: new Set(targets.flatMap((t) => (typeof t.id === 'string' ? [t.id.toLowerCase()] : []))),
      targetNames: targets.flatMap((t) => (typeof t.displayName === 'string' ? [t.displayName] : typeof t.userPrincipalName === 'string' ? [t.userPrincipalName] : [])),
      changes: targets.flatMap((t) =>
        Array.isArray(t.modifiedProperties)
          ? (t.modifiedProperties as { displayName?: unknown; oldValue?: unknown; newValue?: unknown }[]).map((p) => ({
              name: typeof p.displayName === 'string' ? p.displayName : '', oldValue: unquote(p.oldValue), newValue: unquote(p.newValue),
            }))
          : [],
      ),
    });
  }
  // The Unified Audit Log's copy of directory changes (RecordType 8): the only directory history older than Graph's 30 days.
  const mirrors = db
    .prepare(
      `SELECT e.id AS event_id, e.at, e.operation, e.result, e.actor_user, e.actor_app_id, e.actor_ip, '[]' AS targets,
         u.raw, u.evidence_id, u.page_index
       FROM ual_record u CROSS JOIN event e ON e.run_id = u.run_id AND e.source = 'ual' AND e.record_id = u.id
       WHERE u.run_id = ? AND u.record_type = 'AzureActiveDirectory'`,
    )
    .all(runId) as (AuditRow & UalRawRef)[];
  // A collected record is read from its evidence page, each page once.
  const records = ualRawReader(db).readAll(mirrors);
  for (const [i, m] of mirrors.entries()) {
    const raw = records[i]!;
    const data = typeof raw.AuditData === 'string' ? (JSON.parse(raw.AuditData) as Record<string, unknown>) : raw;
    const target = Array.isArray(data.Target) ? (data.Target as { ID?: unknown; Type?: unknown }[]) : [];
    const ids = target.flatMap((t) => (typeof t.ID === 'string' && GUID.test(t.ID) ? [t.ID.toLowerCase()] : []));
    const objectId = typeof data.ObjectId === 'string' ? data.ObjectId : '';
    const suffix = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i.exec(objectId)?.[1];
    if (suffix) ids.push(suffix.toLowerCase());
    const props = Array.isArray(data.ModifiedProperties) ? (data.ModifiedProperties as { Name?: unknown; OldValue?: unknown; NewValue?: unknown }[]) : [];
    out.push({
      eventId: m.event_id, at: m.at, source: 'ual', operation: m.operation, result: m.result,
      actorUser: m.actor_user, actorAppId: m.actor_app_id, actorIp: m.actor_ip,
      targetIds: new Set(ids),
      targetNames: target.flatMap((t) => (t.Type === 1 && typeof t.ID === 'string' ? [t.ID] : [])),
      changes: props.map((p) => ({ name: typeof p.Name === 'string' ? p.Name : '', oldValue: unquote(p.OldValue), newValue: unquote(p.NewValue) })),
    });
  }
  return out.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.eventId - b.eventId));
}

function readExchangeCmdlets(db: Database, runId: string): ExchangeCmdlet[] {
  const rows = db
    .prepare(
      `SELECT e.id AS event_id, e.at, e.raw_operation, e.operation, e.result, e.actor_user, e.actor_app_id, e.actor_ip, u.object_id, u.parameters
       FROM ual_record u CROSS JOIN event e ON e.run_id = u.run_id AND e.source = 'ual' AND e.record_id = u.id
       WHERE u.run_id = ? AND u.record_type = 'ExchangeAdmin' ORDER BY e.at, e.id`,
    )
    .all(runId) as { event_id: number; at: string; raw_operation: string; operation: string; result: string; actor_user: string | null; actor_app_id: string | null; actor_ip: string | null; object_id: string | null; parameters: string }[];
  return rows.map((r) => {
    const params: Record<string, string> = {};
    for (const p of JSON.parse(r.parameters) as { Name: string; Value: string }[]) params[p.Name] = p.Value;
    return {
      eventId: r.event_id, at: r.at, cmdlet: r.raw_operation, operation: r.operation, result: r.result,
      actorUser: r.actor_user, actorAppId: r.actor_app_id || null, actorIp: r.actor_ip,
      object: r.object_id ?? params.Identity ?? params.Name ?? null, params,
    };
  });
}
