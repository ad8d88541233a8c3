// Test tooling (Node): HS256 JSON Web Tokens for the simulator's id and access tokens (signed with a per-run key, checked on every API call).
import { createHmac, timingSafeEqual } from 'node:crypto';

export type JwtClaims = Record<string, unknown>;

function b64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}

export function signJwt(claims: JwtClaims, key: Buffer, header: JwtClaims = {}): string {
  const head = b64url(JSON.stringify({ typ: 'JWT', alg: 'HS256', ...header }));
  const body = b64url(JSON.stringify(claims));
  const sig = createHmac('sha256', key).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${sig}`;
}

export type JwtCheck =
  | { ok: true; claims: JwtClaims }
  | { ok: false; reason: 'malformed' | 'signature' | 'expired' | 'not-yet-valid' };

function isClaims(value: unknown): value is JwtClaims {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks structure, HS256 signature and lifetime (5 minutes of clock skew, as Entra allows). */
export function verifyJwt(token: string, key: Buffer, nowSeconds: number): JwtCheck {
  const parts = token.split('.');
  if (parts.length !== 3) return { ok: false, reason: 'malformed' };
  const [head, body, sig] = parts as [string, string, string];
  let header: unknown;
  let claims: unknown;
  try {
    header = JSON.parse(Buffer.from(head, 'base64url').toString('utf8'));
    claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (!isClaims(header) || !isClaims(claims) || header.alg !== 'HS256') return { ok: false, reason: 'malformed' };
  const expected = createHmac('sha256', key).update(`${head}.${body}`).digest();
  const given = Buffer.from(sig, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'signature' };
  const skew = 300;
  if (typeof claims.exp !== 'number' || nowSeconds > claims.exp + skew) return { ok: false, reason: 'expired' };
  if (typeof claims.nbf === 'number' && nowSeconds < claims.nbf - skew) return { ok: false, reason: 'not-yet-valid' };
  return { ok: true, claims };
}

/** Reads a JWT's claims without checking anything (what MSAL does with id tokens). */
export function decodeJwt(token: string): JwtClaims {
  const body = token.split('.')[1];
  if (!body) throw new Error('not a JWT');
  const claims: unknown = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  if (!isClaims(claims)) throw new Error('JWT payload is not an object');
  return claims;
}
