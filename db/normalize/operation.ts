// Any process (pure): one spelling per operation name, so records of the same action from different logs compare equal.

// En dash, em dash, figure dash, minus sign, hyphen and non-breaking hyphen: AuditLogs writes
// "Update application – Certificates and secrets management " with an en dash, other exports a hyphen.
const DASHES = /[\u2010\u2011\u2012\u2013\u2014\u2015\u2212\uFE58\uFE63\uFF0D]/g;

/**
 * The comparable form of an operation name: Unicode-compatible characters folded (NFKC), every dash
 * a hyphen, whitespace collapsed, a dash used as a separator spaced as " - ", trailing periods and
 * spaces dropped (the Unified Audit Log writes "Add service principal."), lower case. Hyphens inside a
 * word ("Sign-in", "New-InboundConnector") are kept as they are. The raw name is kept beside it.
 */
export function normalizeOperation(name: string): string {
  return name
    .normalize('NFKC')
    .replace(DASHES, '-')
    .replace(/\s+/g, ' ')
    .replace(/ -\s*|\s*- /g, ' - ')
    .replace(/[\s.]+$/, '')
    .trim()
    .toLowerCase();
}
