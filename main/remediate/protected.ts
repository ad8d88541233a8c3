// Main process and CLI: the accounts and apps a remediation never touches (the remediating account, break-glass
// accounts, the engagement's own apps), as the lower-case ids and names the plan and the engine compare with.
import type { Database } from 'better-sqlite3';
import { recordedEngagement } from '../../db/queries/engagement';
import { engagementAppIds } from '../detect/engine';

/** Accounts and apps never touched, as ids and names lower case: with the object ids the collection knows for the apps. */
export function protectedIdsOf(db: Database, givenAccounts: (string | null)[], givenAppIds: string[]): Set<string> {
  const facts = recordedEngagement(db);
  const accounts = [...givenAccounts, ...facts.breakGlass];
  const appIds = [...givenAppIds, ...engagementAppIds(db)];
  const ids = new Set<string>([...accounts, ...appIds].filter((x): x is string => !!x).map((x) => x.toLowerCase()));
  const apps = new Set(appIds.map((a) => a.toLowerCase()));
  // An account named by its user principal name is protected by its object id too (steps name users by id).
  for (const r of db.prepare(`SELECT DISTINCT object_id, display_name FROM tenant_object WHERE kind = 'user' AND display_name IS NOT NULL`).all() as { object_id: string; display_name: string }[]) {
    if (ids.has(r.display_name.toLowerCase())) ids.add(r.object_id.toLowerCase());
  }
  for (const table of ['application', 'service_principal']) {
    for (const r of db.prepare(`SELECT DISTINCT object_id, app_id FROM ${table}`).all() as { object_id: string; app_id: string }[]) {
      if (apps.has(r.app_id.toLowerCase())) ids.add(r.object_id.toLowerCase());
    }
  }
  return ids;
}
