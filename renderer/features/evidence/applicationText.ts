// Renderer: how an application's audience, credentials and flags read in words, shared by the table and the side panel.
import type { AppFlag, ApplicationRow } from '../../lib/api';
import { i18next } from '../../i18n';
import { signInAudience } from '../../lib/format';
import { severityRank } from '../../components/Severity';

/** Flags ordered most severe first. */
export function sortedFlags(flags: AppFlag[]): AppFlag[] {
  return [...flags].sort((a, b) => severityRank(b.severity) - severityRank(a.severity));
}

export function topRank(row: ApplicationRow): number {
  return row.flags.reduce((m, f) => Math.max(m, severityRank(f.severity)), 0);
}

export function credentialsText(row: ApplicationRow): string {
  if (row.passwordCredentials === 0 && row.keyCredentials === 0) return i18next.t('apps.none');
  return `${i18next.t('apps.secrets', { count: row.passwordCredentials })}, ${i18next.t('apps.certificates', { count: row.keyCredentials })}`;
}

export function audienceWords(raw: string | null): string {
  if (!raw) return '—';
  return signInAudience(raw);
}
