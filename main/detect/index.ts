// Main process / CLI: applies the detections to the newest collection in a case and shapes rows for the UI, the CLI and the export.
import type { Database } from 'better-sqlite3';
import { listApplications, listServicePrincipals, getOrganization } from '../../db/queries/directory';
import { latestCompletedRun } from '../../db/queries/runs';
import type { ApplicationRow, AppFlag } from '../../preload/contract';
import { domainLabels, flagApplication } from './applications';

const SEVERITY_RANK: Record<AppFlag['severity'], number> = { critical: 4, high: 3, medium: 2, low: 1, info: 0 };

/** Rows over the newest run that finished cleanly: the same run the export's timeline is built from. */
export function applicationRows(db: Database): ApplicationRow[] {
  const run = latestCompletedRun(db);
  if (!run) return [];
  const org = getOrganization(db, run.runId);
  const tenant = { domainLabels: domainLabels(org?.verifiedDomains ?? []), collectedAt: run.finishedAt ?? run.startedAt };
  const describe = permissionNamer(db, run.runId);
  const rows = listApplications(db, run.runId).map((app): ApplicationRow => ({
    id: app.objectId,
    appId: app.appId,
    displayName: app.displayName ?? '(no name)',
    signInAudience: app.signInAudience,
    createdDateTime: app.createdAt,
    publisherDomain: app.publisherDomain,
    passwordCredentials: app.passwordCredentials.length,
    keyCredentials: app.keyCredentials.length,
    permissions: app.requiredResourceAccess.flatMap((r) => r.resourceAccess.map((a) => describe(r.resourceAppId, a))),
    evidenceId: app.evidenceId,
    evidenceSha256: app.evidenceSha256,
    flags: flagApplication(
      { displayName: app.displayName ?? '', signInAudience: app.signInAudience, createdAt: app.createdAt, requiredResourceAccess: app.requiredResourceAccess },
      tenant,
    ).sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity]),
  }));
  return rows.sort((a, b) => topRank(b) - topRank(a) || a.displayName.localeCompare(b.displayName));
}

function topRank(row: ApplicationRow): number {
  return row.flags.length ? SEVERITY_RANK[row.flags[0]!.severity] + 1 : 0;
}

/** Names permissions from the resource service principals collected in the same run (app roles and delegated scopes); ids that stay unknown are shown as ids. */
function permissionNamer(db: Database, runId: string) {
  const resources = new Map(
    listServicePrincipals(db, runId).map((sp) => {
      const scopes = Array.isArray(sp.raw.oauth2PermissionScopes) ? (sp.raw.oauth2PermissionScopes as { id?: unknown; value?: unknown }[]) : [];
      const names = new Map<string, string>(sp.appRoles.map((r) => [r.id, r.value ?? r.id]));
      for (const s of scopes) if (typeof s.id === 'string' && typeof s.value === 'string') names.set(s.id, s.value);
      return [sp.appId, { name: sp.displayName ?? sp.appId, roles: names }];
    }),
  );
  return (resourceAppId: string, access: { id: string; type: string }): string => {
    const resource = resources.get(resourceAppId);
    const name = resource?.roles.get(access.id) ?? access.id;
    return `${resource?.name ?? resourceAppId}: ${name} (${access.type === 'Role' ? 'application' : 'delegated'})`;
  };
}
