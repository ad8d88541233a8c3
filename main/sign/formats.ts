// Main process (and workers, CLI): Ed25519 signatures over manifest.json in three formats clients check with standard tools.
import { createHash, createPublicKey, sign, verify } from 'node:crypto';
import type { ExaminerKey } from './keys';
import { SshReader, sshEd25519PublicBlob, sshString } from './wire';

/** `ssh-keygen -Y … -n` namespace: a signature made for another purpose cannot pass as an export's. */
export const SSHSIG_NAMESPACE = 'peregrine-export';

/** The files beside manifest.json that carry its signature and the signer's public key. */
export const SIGNATURE_FILES = {
  rawSignature: 'manifest.json.sig',
  publicKeyPem: 'signer.pub.pem',
  minisignPublicKey: 'minisign.pub',
  minisignSignature: 'manifest.json.minisig',
  sshSignature: 'manifest.json.sshsig',
  allowedSigners: 'allowed_signers',
} as const;

export interface SignatureFile {
  name: string;
  content: Buffer;
}

/**
 * All six signature files for `message` (the manifest bytes). `trustedComment` goes into the
 * minisign signature, which signs it too.
 */
export function signatureFiles(message: Buffer, key: ExaminerKey, opts: { trustedComment: string }): SignatureFile[] {
  const file = (name: string, content: string | Buffer): SignatureFile => ({ name, content: Buffer.from(content) });
  return [
    file(SIGNATURE_FILES.rawSignature, rawSignature(message, key)),
    file(SIGNATURE_FILES.publicKeyPem, key.publicKeyPem),
    file(SIGNATURE_FILES.minisignPublicKey, minisignPublicKey(key)),
    file(SIGNATURE_FILES.minisignSignature, minisignSignature(message, key, opts.trustedComment)),
    file(SIGNATURE_FILES.sshSignature, sshSignature(message, key, SSHSIG_NAMESPACE)),
    file(SIGNATURE_FILES.allowedSigners, allowedSigners(key, SSHSIG_NAMESPACE)),
  ];
}

// ---- (1) raw Ed25519: `openssl pkeyutl -verify -rawin` -----------------------------------------------

/** The bare 64-byte Ed25519 signature (pure Ed25519, no prehash). */
export function rawSignature(message: Buffer, key: ExaminerKey): Buffer {
  return sign(null, message, key.privateKey);
}

export function verifyRawSignature(message: Buffer, signature: Buffer, publicKeyPem: string): boolean {
  try {
    const publicKey = createPublicKey(publicKeyPem);
    return publicKey.asymmetricKeyType === 'ed25519' && signature.length === 64 && verify(null, message, publicKey, signature);
  } catch {
    return false;
  }
}

// ---- (2) minisign ---------------------------------------------------------------------------------
// Public key:  base64("Ed" || keyId[8] || pk[32])
// Signature:   base64("ED" || keyId[8] || sig(BLAKE2b-512(message)))  (prehashed: constant memory to verify)
//              trusted comment, then base64(sig(signature[64] || trustedComment)) so the comment is signed too.

const MINISIGN_PUBLIC_ALG = Buffer.from('Ed');
const MINISIGN_PREHASHED = Buffer.from('ED');
const MINISIGN_LEGACY = Buffer.from('Ed');

/** minisign's key id: any 8 bytes; derived from the public key so it is stable across exports. */
export function minisignKeyId(rawPublicKey: Uint8Array): Buffer {
  return createHash('sha256').update(rawPublicKey).digest().subarray(0, 8);
}

/** The id as minisign prints it: the little-endian uint64 in upper-case hex. */
export function minisignKeyIdHex(keyId: Uint8Array): string {
  return Buffer.from(keyId).reverse().toString('hex').toUpperCase();
}

const oneLine = (s: string): string => s.replace(/[\r\n]+/g, ' ').trim();

export function minisignPublicKey(key: ExaminerKey): string {
  const keyId = minisignKeyId(key.rawPublicKey);
  const body = Buffer.concat([MINISIGN_PUBLIC_ALG, keyId, key.rawPublicKey]).toString('base64');
  return `untrusted comment: minisign public key ${minisignKeyIdHex(keyId)}\n${body}\n`;
}

export function minisignSignature(message: Buffer, key: ExaminerKey, trustedComment: string): string {
  const keyId = minisignKeyId(key.rawPublicKey);
  const signature = sign(null, createHash('blake2b512').update(message).digest(), key.privateKey);
  const comment = oneLine(trustedComment);
  const globalSignature = sign(null, Buffer.concat([signature, Buffer.from(comment, 'utf8')]), key.privateKey);
  return [
    `untrusted comment: signature from Peregrine examiner key ${key.fingerprint}`,
    Buffer.concat([MINISIGN_PREHASHED, keyId, signature]).toString('base64'),
    `trusted comment: ${comment}`,
    globalSignature.toString('base64'),
    '',
  ].join('\n');
}

export type SignatureCheck = { ok: true; rawPublicKey: Buffer; detail?: string } | { ok: false; reason: string };

const ed25519FromRaw = (raw: Uint8Array) =>
  createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') }, format: 'jwk' });

/** What `minisign -V` checks, in Node (used by verifyExport). */
export function verifyMinisign(message: Buffer, minisig: string, minisignPub: string): SignatureCheck {
  const pubLines = minisignPub.split(/\r?\n/).filter((l) => l && !l.startsWith('untrusted comment:'));
  const pub = Buffer.from(pubLines[0] ?? '', 'base64');
  if (pub.length !== 42 || !pub.subarray(0, 2).equals(MINISIGN_PUBLIC_ALG)) return { ok: false, reason: 'minisign.pub is not a minisign Ed25519 public key' };
  const lines = minisig.split(/\r?\n/);
  const sigLine = lines[1];
  const trustedLine = lines[2];
  const globalLine = lines[3];
  if (!lines[0]?.startsWith('untrusted comment:') || !sigLine || !trustedLine?.startsWith('trusted comment: ') || !globalLine) {
    return { ok: false, reason: 'the minisign signature file is malformed' };
  }
  const sig = Buffer.from(sigLine, 'base64');
  if (sig.length !== 74) return { ok: false, reason: 'the minisign signature has the wrong length' };
  const alg = sig.subarray(0, 2);
  if (!sig.subarray(2, 10).equals(pub.subarray(2, 10))) return { ok: false, reason: 'the minisign signature was made with another key id' };
  const publicKey = ed25519FromRaw(pub.subarray(10));
  const signature = sig.subarray(10);
  const signed = alg.equals(MINISIGN_PREHASHED)
    ? createHash('blake2b512').update(message).digest()
    : alg.equals(MINISIGN_LEGACY)
      ? message
      : null;
  if (!signed) return { ok: false, reason: 'unknown minisign signature algorithm' };
  if (!verify(null, signed, publicKey, signature)) return { ok: false, reason: 'the minisign signature does not match manifest.json' };
  const comment = trustedLine.slice('trusted comment: '.length);
  const globalSignature = Buffer.from(globalLine, 'base64');
  if (!verify(null, Buffer.concat([signature, Buffer.from(comment, 'utf8')]), publicKey, globalSignature)) {
    return { ok: false, reason: 'the minisign trusted comment was changed' };
  }
  return { ok: true, rawPublicKey: Buffer.from(pub.subarray(10)), detail: comment };
}

// ---- (3) OpenSSH SSHSIG: `ssh-keygen -Y verify` (PROTOCOL.sshsig) -----------------------------------

const SSHSIG_MAGIC = Buffer.from('SSHSIG');
const SSHSIG_VERSION = 1;
const SSHSIG_HASH = 'sha512';

function sshsigSignedData(message: Buffer, namespace: string): Buffer {
  return Buffer.concat([
    SSHSIG_MAGIC,
    sshString(namespace),
    sshString(''), // reserved
    sshString(SSHSIG_HASH),
    sshString(createHash(SSHSIG_HASH).update(message).digest()),
  ]);
}

/** An armored SSH signature, byte-compatible with `ssh-keygen -Y sign` output. */
export function sshSignature(message: Buffer, key: ExaminerKey, namespace: string): string {
  const signature = sign(null, sshsigSignedData(message, namespace), key.privateKey);
  const version = Buffer.alloc(4);
  version.writeUInt32BE(SSHSIG_VERSION);
  const blob = Buffer.concat([
    SSHSIG_MAGIC,
    version,
    sshString(sshEd25519PublicBlob(key.rawPublicKey)),
    sshString(namespace),
    sshString(''),
    sshString(SSHSIG_HASH),
    sshString(Buffer.concat([sshString('ssh-ed25519'), sshString(signature)])),
  ]).toString('base64');
  const wrapped = blob.match(/.{1,70}/g) ?? [];
  return ['-----BEGIN SSH SIGNATURE-----', ...wrapped, '-----END SSH SIGNATURE-----', ''].join('\n');
}

/**
 * The principal ssh-keygen matches `-I` against. allowed_signers principals are comma-separated
 * patterns, so `,` `*` `?` `!` and quotes (and control characters) become `_`; the result is
 * always written quoted so spaces survive.
 */
export function sshPrincipal(identity: string): string {
  // eslint-disable-next-line no-control-regex
  return identity.trim().replace(/[\u0000-\u001f\u007f,*?!"'\\]/g, '_');
}

export function allowedSigners(key: ExaminerKey, namespace: string): string {
  const blob = sshEd25519PublicBlob(key.rawPublicKey).toString('base64');
  return `"${sshPrincipal(key.identity)}" namespaces="${namespace}" ssh-ed25519 ${blob}\n`;
}

/** What `ssh-keygen -Y verify` checks about the signature itself (not the allowed_signers policy). */
export function verifySshsig(message: Buffer, armored: string, namespace: string): SignatureCheck {
  const match = /-----BEGIN SSH SIGNATURE-----([\s\S]*?)-----END SSH SIGNATURE-----/.exec(armored);
  if (!match?.[1]) return { ok: false, reason: 'the SSH signature file is not armored' };
  try {
    const reader = new SshReader(Buffer.from(match[1].replace(/\s+/g, ''), 'base64'));
    if (!reader.bytes(6).equals(SSHSIG_MAGIC) || reader.uint32() !== SSHSIG_VERSION) {
      return { ok: false, reason: 'not an SSHSIG version 1 signature' };
    }
    const publicBlob = new SshReader(reader.string());
    const keyType = publicBlob.string().toString();
    const rawPublicKey = Buffer.from(publicBlob.string());
    const signedNamespace = reader.string().toString();
    reader.string(); // reserved
    const hash = reader.string().toString();
    const sigBlob = new SshReader(reader.string());
    const sigType = sigBlob.string().toString();
    const signature = sigBlob.string();
    if (keyType !== 'ssh-ed25519' || sigType !== 'ssh-ed25519' || rawPublicKey.length !== 32) {
      return { ok: false, reason: `unexpected SSH key type ${keyType}` };
    }
    if (signedNamespace !== namespace) return { ok: false, reason: `signed for namespace '${signedNamespace}', not '${namespace}'` };
    if (hash !== 'sha512' && hash !== 'sha256') return { ok: false, reason: `unsupported hash ${hash}` };
    const signed = Buffer.concat([
      SSHSIG_MAGIC,
      sshString(namespace),
      sshString(''),
      sshString(hash),
      sshString(createHash(hash).update(message).digest()),
    ]);
    if (!verify(null, signed, ed25519FromRaw(rawPublicKey), signature)) {
      return { ok: false, reason: 'the SSH signature does not match manifest.json' };
    }
    return { ok: true, rawPublicKey };
  } catch (err) {
    return { ok: false, reason: `the SSH signature cannot be read (${(err as Error).message})` };
  }
}

/** The public key named by the first line of an allowed_signers file. */
export function allowedSignersKey(text: string): Buffer | null {
  const match = /ssh-ed25519\s+([A-Za-z0-9+/=]+)/.exec(text);
  if (!match?.[1]) return null;
  try {
    const reader = new SshReader(Buffer.from(match[1], 'base64'));
    if (reader.string().toString() !== 'ssh-ed25519') return null;
    return Buffer.from(reader.string());
  } catch {
    return null;
  }
}
