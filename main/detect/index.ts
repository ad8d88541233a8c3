// Main process / CLI: shapes the newest collection's applications for the Evidence screen, each with the findings that name it.
import type { Database } from 'better-sqlite3';
import { listApplications, listServicePrincipals } from '../../db/queries/directory';
import { getRun } from '../../db/queries/runs';
import type { ApplicationRow, DetectionReport } from '../../preload/contract';
import { detect, engagementAppIds } from './engine';
import { SEVERITY_RANK } from './types';

/** The correlation names every object of the chain; on an application row it would repeat the per-artifact flags. */
const NOT_A_FLAG = new Set(['storyline.oauth-mail-abuse']);

/** Rows over the collection the findings were computed from (the newest clean one), flagged by those findings. */
export function applicationRows(db: Database, report: DetectionReport = detect(db)): ApplicationRow[] {
  const run = report.runId ? getRun(db, report.runId) : null;
  if (!run) return [];
  const describe = permissionNamer(db, run.runId);
  const spByAppId = new Map(listServicePrincipals(db, run.runId).map((sp) => [sp.appId.toLowerCase(), sp.objectId.toLowerCase()]));
  const findings = report.findings.filter((f) => !NOT_A_FLAG.has(f.ruleId));
  const ours = engagementAppIds(db);
  const rows = listApplications(db, run.runId).map((app): ApplicationRow => {
    const ids = new Set([app.objectId.toLowerCase(), spByAppId.get(app.appId.toLowerCase())].filter((x): x is string => !!x));
    const naming = findings.filter(
      (f) => ids.has(f.subject.id.toLowerCase()) || f.objects.some((o) => (o.kind === 'application' || o.kind === 'servicePrincipal') && ids.has(o.id.toLowerCase())),
    );
    return {
      id: app.objectId,
      appId: app.appId,
      ours: ours.has(app.appId.toLowerCase()),
      displayName: app.displayName ?? '(no name)',
      signInAudience: app.signInAudience,
      createdDateTime: app.createdAt,
      publisherDomain: app.publisherDomain,
      passwordCredentials: app.passwordCredentials.length,
      keyCredentials: app.keyCredentials.length,
      permissions: app.requiredResourceAccess.flatMap((r) => r.resourceAccess.map((a) => describe(r.resourceAppId, a))),
      evidenceId: app.evidenceId,
      evidenceSha256: app.evidenceSha256,
      flags: naming
        .map((f) => ({ ruleId: f.ruleId, severity: f.severity, title: f.title, reason: f.reason, attack: f.attack[0] ?? null }))
        .sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity]),
    };
  });
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
