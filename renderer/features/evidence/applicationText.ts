// Renderer: how an application's audience, credentials and flags read in words, shared by the table and the side panel.
import type { AppFlag, ApplicationRow } from '../../lib/api';
import { plural, SIGN_IN_AUDIENCE } from '../../lib/format';
import { severityRank } from '../../components/Severity';

/** Flags ordered most severe first. */
export function sortedFlags(flags: AppFlag[]): AppFlag[] {
  return [...flags].sort((a, b) => severityRank(b.severity) - severityRank(a.severity));
}

export function topRank(row: ApplicationRow): number {
  return row.flags.reduce((m, f) => Math.max(m, severityRank(f.severity)), 0);
}

export function credentialsText(row: ApplicationRow): string {
  if (row.passwordCredentials === 0 && row.keyCredentials === 0) return 'None';
  return `${plural(row.passwordCredentials, 'secret')}, ${plural(row.keyCredentials, 'certificate')}`;
}

export function audienceWords(raw: string | null): string {
  if (!raw) return '—';
  return SIGN_IN_AUDIENCE[raw] ?? raw;
}
