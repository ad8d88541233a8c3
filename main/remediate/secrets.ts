// Main process / CLI: the values a step only gets while it runs — a temporary password generated here, and references
// to what an earlier step created — and the redaction that keeps secrets out of evidence, custody and output.
import { randomInt } from 'node:crypto';

/** Four classes, without look-alikes (0/O, 1/l/I) so the password can be read out over the phone. */
const CLASSES = ['ABCDEFGHJKLMNPQRSTUVWXYZ', 'abcdefghijkmnpqrstuvwxyz', '23456789', '!#$%*+-=?@^_'] as const;
export const PASSWORD_LENGTH = 24;

/** A strong temporary password: PASSWORD_LENGTH characters from a CSPRNG, at least one of each class. */
export function generatePassword(length = PASSWORD_LENGTH): string {
  if (length < 20) throw new Error('A temporary password has at least 20 characters.');
  const all = CLASSES.join('');
  const chars = CLASSES.map((c) => c[randomInt(c.length)]!);
  while (chars.length < length) chars.push(all[randomInt(all.length)]!);
  // Fisher–Yates, so the class-guaranteed characters are not always first.
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j]!, chars[i]!];
  }
  return chars.join('');
}

export const REDACTED = '[redacted]';
const SECRET_FIELD = /^(password|secretText|clientSecret|client_secret|access_token|refresh_token|id_token|newPassword|Password)$/;
const PLACEHOLDER = /\{\{(secret:password|ref:[^}]+)\}\}/g;

export interface Resolution {
  /** The temporary password of this item, made on first use. */
  password: string | null;
}

/**
 * Replaces `{{secret:password}}` (one password per item, made on first use) and `{{ref:<step>/<item>/<field>}}`
 * (from `lookup`) in every string of a value. A reference that cannot be resolved is an error naming it.
 */
export function resolvePlaceholders<T>(value: T, state: Resolution, lookup: (ref: string) => string | null): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      return v.replace(PLACEHOLDER, (_m, name: string) => {
        if (name === 'secret:password') return (state.password ??= generatePassword());
        const resolved = lookup(name.slice('ref:'.length));
        if (resolved === null) throw new Error(`{{${name}}} cannot be resolved: the step it names has not recorded that value yet. Run that step first.`);
        return resolved;
      });
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}

/** A JSON value with secret fields and the given secret strings replaced by [redacted]. */
export function redactValue(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === 'string') return redactText(value, secrets);
  if (Array.isArray(value)) return value.map((v) => redactValue(v, secrets));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_FIELD.test(k) && v !== null ? REDACTED : redactValue(v, secrets)]));
  }
  return value;
}

/** Text with each secret string replaced; JSON text also loses its secret fields. */
export function redactText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s) out = out.split(s).join(REDACTED);
  // A JSON body: drop secret fields too (a Graph answer that echoes secretText).
  if (/^\s*[{[]/.test(out)) {
    try {
      const parsed = JSON.parse(out) as unknown;
      const redacted = JSON.stringify(redactValue(parsed, []));
      // Re-serialised only when a field was redacted: otherwise the bytes stay exactly as received.
      return redacted === JSON.stringify(parsed) ? out : redacted;
    } catch {
      // not JSON after all: the string replacement above is what there is
    }
  }
  return out;
}
