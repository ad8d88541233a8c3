// Any process with a case file open: what the engagement said about its own apps and untouchable accounts, as custody
// entries, so a case handed over says which apps were ours and which accounts remediation had to leave alone.
import type { Database } from 'better-sqlite3';
import { appendCustody } from './custody';

export const ENGAGEMENT_ACTION = 'engagement.settings';

export interface EngagementFacts {
  engagementAppIds: string[];
  breakGlass: string[];
}

/** The latest facts recorded in the case (empty lists when none were). */
export function recordedEngagement(db: Database): EngagementFacts {
  const details = db.prepare(`SELECT details FROM custody WHERE action = ? ORDER BY seq DESC LIMIT 1`).pluck().get(ENGAGEMENT_ACTION) as string | undefined;
  if (!details) return { engagementAppIds: [], breakGlass: [] };
  const d = JSON.parse(details) as Partial<EngagementFacts>;
  const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  return { engagementAppIds: strings(d.engagementAppIds), breakGlass: strings(d.breakGlass) };
}

/** Records `facts` when they differ from what the case holds; returns whether a custody entry was written. */
export function recordEngagement(db: Database, facts: EngagementFacts, who: { at: string; actor: string }): boolean {
  const norm = (xs: string[]) => [...new Set(xs.map((x) => x.toLowerCase()))].sort();
  const next = { engagementAppIds: norm(facts.engagementAppIds), breakGlass: norm(facts.breakGlass) };
  const current = recordedEngagement(db);
  if (JSON.stringify(next) === JSON.stringify({ engagementAppIds: norm(current.engagementAppIds), breakGlass: norm(current.breakGlass) })) return false;
  appendCustody(db, { at: who.at, action: ENGAGEMENT_ACTION, actor: who.actor, details: next });
  return true;
}
