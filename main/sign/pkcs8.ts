// Main process and CLI: the examiner key as an encrypted PKCS#8 PEM (RFC 5958 EncryptedPrivateKeyInfo, PBES2 of
// RFC 8018) with a PBKDF2 work factor of our choosing: Node's own export uses OpenSSL's default of 2,048 iterations.
import { createCipheriv, pbkdf2Sync, randomBytes, type KeyObject } from 'node:crypto';

/** PBKDF2-HMAC-SHA256 iterations: OWASP's 2023 figure for that hash (Password Storage Cheat Sheet). */
export const PBKDF2_ITERATIONS = 600_000;

const OID = {
  pbes2: '2a864886f70d01050d', // 1.2.840.113549.1.5.13
  pbkdf2: '2a864886f70d01050c', // 1.2.840.113549.1.5.12
  hmacWithSha256: '2a864886f70d0209', // 1.2.840.113549.2.9
  aes256Cbc: '60864801650304012a', // 2.16.840.1.101.3.4.1.42
} as const;

function der(tag: number, content: Buffer): Buffer {
  const n = content.length;
  const length = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), length, content]);
}
const seq = (...items: Buffer[]) => der(0x30, Buffer.concat(items));
const oid = (hex: string) => der(0x06, Buffer.from(hex, 'hex'));
const octets = (b: Buffer) => der(0x04, b);
function integer(value: number): Buffer {
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  const bytes = Buffer.from(hex, 'hex');
  return der(0x02, bytes[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);
}

/**
 * The private key as `-----BEGIN ENCRYPTED PRIVATE KEY-----`: AES-256-CBC under PBKDF2-HMAC-SHA256 of the
 * passphrase. OpenSSL (`openssl pkey -in … -passin …`) and Node's createPrivateKey({ passphrase }) both read it.
 */
export function encryptedPkcs8Pem(privateKey: KeyObject, passphrase: string, iterations: number = PBKDF2_ITERATIONS): string {
  const plain = privateKey.export({ type: 'pkcs8', format: 'der' });
  const salt = randomBytes(16);
  const iv = randomBytes(16);
  const key = pbkdf2Sync(Buffer.from(passphrase, 'utf8'), salt, iterations, 32, 'sha256');
  const cipher = createCipheriv('aes-256-cbc', key, iv);
  const encrypted = Buffer.concat([cipher.update(plain), cipher.final()]);
  const info = seq(
    seq(
      oid(OID.pbes2),
      seq(
        seq(oid(OID.pbkdf2), seq(octets(salt), integer(iterations), seq(oid(OID.hmacWithSha256), der(0x05, Buffer.alloc(0))))),
        seq(oid(OID.aes256Cbc), octets(iv)),
      ),
    ),
    octets(encrypted),
  );
  const body = info.toString('base64').match(/.{1,64}/g) ?? [];
  return ['-----BEGIN ENCRYPTED PRIVATE KEY-----', ...body, '-----END ENCRYPTED PRIVATE KEY-----', ''].join('\n');
}
