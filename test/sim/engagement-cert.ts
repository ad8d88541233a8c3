// Test tooling (Node): the engagement app's RSA certificate, derived from the scenario seed so the tenant (thumbprint in keyCredentials) stays deterministic.
import { createHash, createPrivateKey, createPublicKey, sign, X509Certificate } from 'node:crypto';
import { createPrng, type Prng } from './prng';

export interface EngagementCertificate {
  /** PEM of the self-signed certificate (public). */
  certificatePem: string;
  /** PKCS#8 PEM of the private key. Simulator-only: written to a mode-600 file, never served. */
  privateKeyPem: string;
  /** Uppercase hex SHA-1 of the DER: what Graph shows as `customKeyIdentifier` and the `x5t` header encodes. */
  thumbprintSha1: string;
  /** Uppercase hex SHA-256 of the DER: what MSAL's `thumbprintSha256` and the `x5t#S256` header encode. */
  thumbprintSha256: string;
  subject: string;
  notBefore: string;
  notAfter: string;
}

/**
 * The scenario's history is fixed in 2024/2025 while tests run at today's date: a one-year
 * certificate would expire under them, so it runs to the last date UTCTime can express.
 */
export const ENGAGEMENT_CERT_NOT_AFTER = '2049-12-31T23:59:59Z';

const SMALL_PRIMES = (() => {
  const out: bigint[] = [];
  for (let n = 3; out.length < 300; n += 2) if (out.every((p) => BigInt(n) % p !== 0n)) out.push(BigInt(n));
  return out;
})();

function randomBig(prng: Prng, bits: number): bigint {
  let hex = '';
  for (let i = 0; i < bits / 4; i++) hex += (prng.int(0, 15)).toString(16);
  return BigInt(`0x${hex}`);
}

function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  let result = 1n;
  let b = base % mod;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % mod;
    b = (b * b) % mod;
    e >>= 1n;
  }
  return result;
}

function isProbablePrime(n: bigint, prng: Prng): boolean {
  for (const p of SMALL_PRIMES) if (n % p === 0n) return n === p;
  let d = n - 1n;
  let r = 0;
  while ((d & 1n) === 0n) {
    d >>= 1n;
    r++;
  }
  // Eight random bases: a composite survives with probability below 4^-8, far less for random candidates; enough for test tooling.
  for (let round = 0; round < 8; round++) {
    const a = 2n + (randomBig(prng, 1024) % (n - 4n));
    let x = modPow(a, d, n);
    if (x === 1n || x === n - 1n) continue;
    let composite = true;
    for (let i = 1; i < r; i++) {
      x = (x * x) % n;
      if (x === n - 1n) {
        composite = false;
        break;
      }
    }
    if (composite) return false;
  }
  return true;
}

const E = 65537n;

function prime(prng: Prng, bits: number): bigint {
  for (;;) {
    // Top two bits set so p·q has exactly 2·bits bits; odd.
    const candidate = randomBig(prng, bits) | (3n << BigInt(bits - 2)) | 1n;
    if ((candidate - 1n) % E !== 0n && isProbablePrime(candidate, prng)) return candidate;
  }
}

function modInverse(a: bigint, m: bigint): bigint {
  let [oldR, r] = [a % m, m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  return ((oldS % m) + m) % m;
}

function b64u(n: bigint): string {
  let hex = n.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  return Buffer.from(hex, 'hex').toString('base64url');
}

// ---- minimal DER, enough for one self-signed RSA certificate ------------------

function der(tag: number, content: Buffer): Buffer {
  const len = content.length;
  const head = len < 0x80 ? Buffer.from([tag, len])
    : len < 0x100 ? Buffer.from([tag, 0x81, len])
    : Buffer.from([tag, 0x82, len >> 8, len & 0xff]);
  return Buffer.concat([head, content]);
}
const seq = (...items: Buffer[]): Buffer => der(0x30, Buffer.concat(items));
const oid = (dotted: string): Buffer => {
  const [a = 0, b = 0, ...rest] = dotted.split('.').map(Number);
  const bytes = [a * 40 + b];
  for (const n of rest) {
    const chunk = [n & 0x7f];
    for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return der(0x06, Buffer.from(bytes));
};
const integer = (hex: string): Buffer => der(0x02, Buffer.from(parseInt(hex.slice(0, 2), 16) >= 0x80 ? `00${hex}` : hex, 'hex'));
const utcTime = (iso: string): Buffer => der(0x17, Buffer.from(`${iso.slice(2, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`, 'ascii'));
const name = (cn: string): Buffer => seq(der(0x31, seq(oid('2.5.4.3'), der(0x0c, Buffer.from(cn, 'utf8')))));
const SHA256_WITH_RSA = seq(oid('1.2.840.113549.1.1.11'), Buffer.from([0x05, 0x00]));

function toPem(derBytes: Buffer, label: string): string {
  const lines = derBytes.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

const cache = new Map<string, EngagementCertificate>();

/**
 * Same label, same certificate, byte for byte (RSA PKCS#1 v1.5 signatures are deterministic).
 * Generated with a seeded generator because Node's key generation cannot be seeded; cached,
 * since every simulator start builds the tenant again.
 */
export function engagementCertificate(label: string, subject: string, notBefore: string): EngagementCertificate {
  const key = `${label}|${subject}|${notBefore}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const prng = createPrng(`engagement-certificate|${label}`);
  let p = prime(prng, 1024);
  let q = prime(prng, 1024);
  while (p === q) q = prime(prng, 1024);
  if (p < q) [p, q] = [q, p];
  const n = p * q;
  const d = modInverse(E, (p - 1n) * (q - 1n));
  const privateKey = createPrivateKey({
    key: { kty: 'RSA', n: b64u(n), e: b64u(E), d: b64u(d), p: b64u(p), q: b64u(q), dp: b64u(d % (p - 1n)), dq: b64u(d % (q - 1n)), qi: b64u(modInverse(q, p)) },
    format: 'jwk',
  });
  const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  const notBeforeIso = new Date(notBefore).toISOString();
  const tbs = seq(
    der(0xa0, integer('02')),
    integer(`4${prng.hex(31)}`),
    SHA256_WITH_RSA,
    name(subject),
    seq(utcTime(notBeforeIso), utcTime(ENGAGEMENT_CERT_NOT_AFTER)),
    name(subject),
    spki,
  );
  const signature = sign('sha256', tbs, privateKey);
  const certDer = seq(tbs, SHA256_WITH_RSA, der(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const cert = new X509Certificate(certDer);
  const out: EngagementCertificate = {
    certificatePem: toPem(certDer, 'CERTIFICATE'),
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    thumbprintSha1: createHash('sha1').update(certDer).digest('hex').toUpperCase(),
    thumbprintSha256: createHash('sha256').update(certDer).digest('hex').toUpperCase(),
    subject: cert.subject,
    notBefore: new Date(cert.validFrom).toISOString(),
    notAfter: new Date(cert.validTo).toISOString(),
  };
  cache.set(key, out);
  return out;
}
