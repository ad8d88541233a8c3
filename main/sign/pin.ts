// Main process and CLI (`peregrine verify --signer`): which signing keys a client accepts, from a fingerprint or a key file.
import { createPublicKey } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { SshReader, sshFingerprint } from './wire';

/** The keys a verifier accepts, by OpenSSH SHA256 fingerprint, and what they were read from (for messages). */
export interface SignerPin {
  fingerprints: ReadonlySet<string>;
  source: string;
}

export class SignerPinError extends Error {
  override readonly name = 'SignerPinError';
}

const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}$/;

/** The raw Ed25519 keys named in OpenSSH public key lines (`.pub` files, allowed_signers, authorized_keys). */
function sshKeysIn(text: string): Buffer[] {
  const keys: Buffer[] = [];
  for (const match of text.matchAll(/ssh-ed25519\s+([A-Za-z0-9+/]+={0,2})/g)) {
    try {
      const reader = new SshReader(Buffer.from(match[1]!, 'base64'));
      if (reader.string().toString() !== 'ssh-ed25519') continue;
      const raw = reader.string();
      if (raw.length === 32 && reader.done) keys.push(Buffer.from(raw));
    } catch {
      // not a key blob: skip it, a file with no key at all is refused below
    }
  }
  return keys;
}

/** minisign.pub: base64("Ed" || keyId[8] || pk[32]) on its second line. */
function minisignKey(text: string): Buffer | null {
  const line = text.split(/\r?\n/).find((l) => l.trim() && !l.startsWith('untrusted comment:'));
  const blob = Buffer.from(line?.trim() ?? '', 'base64');
  return blob.length === 42 && blob.subarray(0, 2).toString() === 'Ed' ? Buffer.from(blob.subarray(10)) : null;
}

/**
 * `--signer` accepts an OpenSSH fingerprint (`SHA256:…`, as `ssh-keygen -lf` and VERIFY.txt print it), or a
 * file: an SPKI PEM public key (signer.pub.pem), an OpenSSH public key or allowed_signers file (every
 * ssh-ed25519 key in it is accepted), or a minisign public key. Anything else is refused, naming the file.
 */
export function parseSignerPin(value: string, cwd: string = process.cwd()): SignerPin {
  const trimmed = value.trim();
  if (FINGERPRINT.test(trimmed)) return { fingerprints: new Set([trimmed]), source: trimmed };
  if (trimmed.startsWith('SHA256:')) {
    throw new SignerPinError(`--signer ${trimmed} is not a whole SHA256 fingerprint (SHA256: and 43 base64 characters, as ssh-keygen -lf prints).`);
  }
  const file = path.resolve(cwd, trimmed);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new SignerPinError(`--signer ${trimmed}: neither a SHA256:… fingerprint nor a readable key file (${code ?? (err as Error).message}).`);
  }
  let raws: Buffer[] = [];
  if (text.includes('-----BEGIN PUBLIC KEY-----')) {
    try {
      const key = createPublicKey(text);
      const x = key.asymmetricKeyType === 'ed25519' ? key.export({ format: 'jwk' }).x : undefined;
      if (x) raws = [Buffer.from(x, 'base64url')];
    } catch {
      // refused below
    }
  } else {
    raws = sshKeysIn(text);
    if (raws.length === 0) {
      const minisign = minisignKey(text);
      if (minisign) raws = [minisign];
    }
  }
  if (raws.length === 0) {
    throw new SignerPinError(`--signer ${trimmed}: the file holds no Ed25519 public key (expected a PEM public key, an OpenSSH .pub or allowed_signers file, or a minisign public key).`);
  }
  return { fingerprints: new Set(raws.map((r) => sshFingerprint(r))), source: path.basename(file) };
}

/** The sentence a refusal ends with: which keys were pinned. */
export function pinnedKeys(pin: SignerPin): string {
  const list = [...pin.fingerprints];
  return list.length === 1 ? `the pinned key ${list[0]} (from ${pin.source})` : `the ${list.length} keys pinned in ${pin.source} (${list.join(', ')})`;
}
