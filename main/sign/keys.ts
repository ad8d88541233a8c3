// Main process (and CLI): the examiner's Ed25519 signing key, kept outside every case file.
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sshFingerprint, sshPublicKeyLine } from './wire';

export interface ExaminerKey {
  privateKey: KeyObject;
  /** SPKI PEM, as written to `signer.pub.pem`. */
  publicKeyPem: string;
  /** The 32-byte Ed25519 public key. */
  rawPublicKey: Buffer;
  /** 'SHA256:…' exactly as `ssh-keygen -lf` prints it for the key's OpenSSH form. */
  fingerprint: string;
  /** Who signs: the examiner's name or e-mail, as shown in exports. */
  identity: string;
}

/** The private key (PKCS#8 PEM, mode 0600). */
export const EXAMINER_KEY_FILE = 'examiner-ed25519.pem';
/** The public half in OpenSSH form, for the examiner to hand to clients out of band. */
export const EXAMINER_PUBLIC_KEY_FILE = 'examiner-ed25519.pub';

export class ExaminerKeyError extends Error {
  override readonly name = 'ExaminerKeyError';
  constructor(
    readonly code: 'invalid_identity' | 'key_unreadable' | 'key_insecure' | 'key_wrong_type',
    message: string,
  ) {
    super(message);
  }
}

const POSIX = process.platform !== 'win32';

/** `$PEREGRINE_HOME/keys`, else `%APPDATA%\peregrine\keys` on Windows, else `~/.config/peregrine/keys`. */
export function defaultKeyDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = os.homedir(),
): string {
  if (env.PEREGRINE_HOME) return path.join(env.PEREGRINE_HOME, 'keys');
  if (platform === 'win32') return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'peregrine', 'keys');
  return path.join(home, '.config', 'peregrine', 'keys');
}

/**
 * The examiner's key in `dir`, made on first use and reused after. The key never enters a case file
 * or an export: only its public half and signatures do. `dir` is kept 0700 and the key file 0600;
 * a key file other users can read is refused (as ssh does), not silently used.
 */
export function loadOrCreateExaminerKey(dir: string, identity: string): ExaminerKey {
  const who = identity.trim();
  if (!who || /[\r\n\0]/.test(who)) {
    throw new ExaminerKeyError('invalid_identity', 'The examiner identity must be a non-empty single line (a name or e-mail).');
  }
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (POSIX) fs.chmodSync(dir, 0o700);
  const file = path.join(dir, EXAMINER_KEY_FILE);
  if (!fs.existsSync(file)) createKeyFile(dir, file, who);
  return examinerKeyFrom(readPrivateKey(file), who);
}

/** Builds the public parts from a private key (also used by tests with a throwaway key). */
export function examinerKeyFrom(privateKey: KeyObject, identity: string): ExaminerKey {
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new ExaminerKeyError('key_wrong_type', `The examiner key must be Ed25519, not ${privateKey.asymmetricKeyType ?? 'unknown'}.`);
  }
  const publicKey = createPublicKey(privateKey);
  const jwk = publicKey.export({ format: 'jwk' });
  if (!jwk.x) throw new ExaminerKeyError('key_unreadable', 'The examiner public key could not be derived.');
  const rawPublicKey = Buffer.from(jwk.x, 'base64url');
  return {
    privateKey,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    rawPublicKey,
    fingerprint: sshFingerprint(rawPublicKey),
    identity,
  };
}

function createKeyFile(dir: string, file: string, identity: string): void {
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  // Write a private temp file, then link it into place: the key appears whole or not at all, and
  // if another process created one meanwhile, theirs wins (link fails with EEXIST).
  const temp = path.join(dir, `.${EXAMINER_KEY_FILE}.${process.pid}.${Date.now()}.tmp`);
  const fd = fs.openSync(temp, 'wx', 0o600);
  try {
    fs.writeFileSync(fd, pem);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.linkSync(temp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return;
  } finally {
    fs.rmSync(temp, { force: true });
  }
  const publicKey = examinerKeyFrom(privateKey, identity);
  fs.writeFileSync(path.join(dir, EXAMINER_PUBLIC_KEY_FILE), `${sshPublicKeyLine(publicKey.rawPublicKey, identity)}\n`, { mode: 0o644 });
}

function readPrivateKey(file: string): KeyObject {
  if (POSIX) {
    const mode = fs.statSync(file).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      throw new ExaminerKeyError(
        'key_insecure',
        `The examiner key ${file} is readable by other users (mode ${mode.toString(8).padStart(4, '0')}). ` +
          `Run: chmod 600 '${file}' — or delete it to make a new key.`,
      );
    }
  }
  try {
    return createPrivateKey(fs.readFileSync(file));
  } catch (err) {
    throw new ExaminerKeyError('key_unreadable', `The examiner key ${file} cannot be read (${(err as Error).message}). Restore it from backup or delete it to make a new key.`);
  }
}
