// Renderer (and plain-Node tests): JSON values, and JSON a source sent inside a string (the Unified Audit Log's AuditData).

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A string that holds a JSON object or array, parsed; null for any other string. */
export function embeddedJson(value: string): Json[] | { [key: string]: Json } | null {
  const t = value.trim();
  if (!((t.startsWith('{') && t.endsWith('}')) || (t.startsWith('[') && t.endsWith(']')))) return null;
  try {
    const parsed = JSON.parse(t) as Json;
    return parsed !== null && typeof parsed === 'object' ? parsed : null;
  } catch {
    return null;
  }
}
