// Main process (and CLI): the examiner's Ed25519 signing key, kept outside every case file.
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encryptedPkcs8Pem } from './pkcs8';
import { sshFingerprint, sshPublicKeyLine } from './wire';
import { SINGLE_LINE } from '../../preload/contract';

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

/** The private key: PKCS#8 PEM encrypted under the examiner's passphrase (mode 0600). */
export const EXAMINER_KEY_FILE = 'examiner-ed25519.pem';
/** The private key's PKCS#8 PEM sealed by the OS keychain (the app, where the keychain is secure). */
export const EXAMINER_KEYCHAIN_FILE = 'examiner-ed25519.keychain';
/** The public half in OpenSSH form, for the examiner to hand to clients out of band. */
export const EXAMINER_PUBLIC_KEY_FILE = 'examiner-ed25519.pub';
/** Where the CLI (and `peregrine serve`) reads the passphrase when no terminal can ask for it. */
export const PASSPHRASE_ENV = 'PEREGRINE_SIGNING_PASSPHRASE';
/** Shortest passphrase a key is put under: no key derivation does much for a short one. */
export const MIN_PASSPHRASE_LENGTH = 10;

export class ExaminerKeyError extends Error {
  override readonly name = 'ExaminerKeyError';
  constructor(
    readonly code:
      | 'invalid_identity'
      | 'key_unreadable'
      | 'key_insecure'
      | 'key_wrong_type'
      | 'passphrase_required'
      | 'passphrase_wrong'
      | 'passphrase_weak'
      | 'keychain_unavailable'
      | 'key_exists'
      | 'no_key',
    message: string,
  ) {
    super(message);
  }
}

/** The OS keychain (Electron safeStorage in the app), injected so every service runs in plain Node. */
export interface Keychain {
  encrypt(plain: string): Buffer;
  decrypt(data: Buffer): string;
}

/** How the private key is unlocked: the keychain when there is a secure one, else a passphrase. */
export interface KeyAccess {
  keychain?: Keychain | null;
  /** Asked only when the key is, or is about to be, under a passphrase; throws when there is none. */
  passphrase?: () => string;
  /** Told when a key stored unencrypted was encrypted and its plain file removed. */
  onNotice?: (message: string) => void;
}

export type KeyProtection = 'keychain' | 'passphrase' | 'unencrypted';

export interface ExaminerKeyStatus {
  /** Null when no key has been made yet (the first export makes one). */
  protection: KeyProtection | null;
  fingerprint: string | null;
  /** The name kept with the public key (the examiner's, when the key was made or imported). */
  identity: string | null;
  publicKeyLine: string | null;
  keyDir: string;
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


function checkIdentity(identity: string): string {
  const who = identity.trim();
  if (!who || !SINGLE_LINE.test(who)) {
    throw new ExaminerKeyError('invalid_identity', 'The examiner identity must be a non-empty single line (a name or e-mail).');
  }
  return who;
}

function prepareDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (POSIX) fs.chmodSync(dir, 0o700);
}

const files = (dir: string) => ({
  pem: path.join(dir, EXAMINER_KEY_FILE),
  keychain: path.join(dir, EXAMINER_KEYCHAIN_FILE),
  pub: path.join(dir, EXAMINER_PUBLIC_KEY_FILE),
});

const isEncryptedPem = (text: string) => text.includes('-----BEGIN ENCRYPTED PRIVATE KEY-----');

/** What is stored, without unlocking anything: for `peregrine key show` and the Settings screen. */
export function examinerKeyStatus(dir: string): ExaminerKeyStatus {
  const f = files(dir);
  let protection: KeyProtection | null = null;
  if (fs.existsSync(f.keychain)) protection = 'keychain';
  else if (fs.existsSync(f.pem)) protection = isEncryptedPem(fs.readFileSync(f.pem, 'utf8')) ? 'passphrase' : 'unencrypted';
  let publicKeyLine: string | null = null;
  let fingerprint: string | null = null;
  let identity: string | null = null;
  if (protection && fs.existsSync(f.pub)) {
    const line = fs.readFileSync(f.pub, 'utf8').split(/\r?\n/)[0] ?? '';
    const match = /^ssh-ed25519 ([A-Za-z0-9+/=]+)(?: (.*))?$/.exec(line.trim());
    const raw = match?.[1] ? rawKeyFromBlob(Buffer.from(match[1], 'base64')) : null;
    if (raw) {
      publicKeyLine = line.trim();
      fingerprint = sshFingerprint(raw);
      identity = match?.[2]?.trim() || null;
    }
  }
  return { protection, fingerprint, identity, publicKeyLine, keyDir: dir };
}

function rawKeyFromBlob(blob: Buffer): Buffer | null {
  if (blob.length !== 51 || blob.readUInt32BE(0) !== 11 || blob.subarray(4, 15).toString() !== 'ssh-ed25519' || blob.readUInt32BE(15) !== 32) return null;
  return Buffer.from(blob.subarray(19));
}

function askPassphrase(access: KeyAccess, forNewKey: boolean): string {
  if (!access.passphrase) {
    throw new ExaminerKeyError(
      'passphrase_required',
      `The examiner key is kept under a passphrase, and none was given: run in a terminal to be asked, or set ${PASSPHRASE_ENV}.`,
    );
  }
  const passphrase = access.passphrase();
  if (forNewKey && passphrase.length < MIN_PASSPHRASE_LENGTH) {
    throw new ExaminerKeyError('passphrase_weak', `The passphrase for the examiner key must be at least ${MIN_PASSPHRASE_LENGTH} characters.`);
  }
  return passphrase;
}

/**
 * The examiner's key in `dir`, made on first use and reused after. It is stored encrypted: sealed by the OS
 * keychain when `access.keychain` is given (the app), else as an encrypted PKCS#8 PEM under the passphrase.
 * A key found unencrypted (as older versions stored it) is encrypted the same way on first use and its plain
 * file removed. The key never enters a case file or an export: only its public half and signatures do.
 * `dir` is kept 0700 and the key files 0600; a key file other users can read is refused (as ssh does).
 */
export function loadOrCreateExaminerKey(dir: string, identity: string, access: KeyAccess = {}): ExaminerKey {
  const who = checkIdentity(identity);
  prepareDir(dir);
  const f = files(dir);
  if (fs.existsSync(f.keychain)) {
    if (!access.keychain) {
      throw new ExaminerKeyError('keychain_unavailable', `The examiner key in ${f.keychain} is sealed by the OS keychain of the Peregrine app, which is not available here. Export it from the app (Settings) to use it elsewhere.`);
    }
    let pem: string;
    try {
      pem = access.keychain.decrypt(readPrivateFile(f.keychain));
    } catch (err) {
      throw new ExaminerKeyError('key_unreadable', `The OS keychain cannot open the examiner key ${f.keychain} (${(err as Error).message}).`);
    }
    return finishLoad(dir, parsePrivateKey(pem, undefined, f.keychain), who);
  }
  if (fs.existsSync(f.pem)) {
    const text = readPrivateFile(f.pem).toString('utf8');
    if (isEncryptedPem(text)) return finishLoad(dir, parsePrivateKey(text, askPassphrase(access, false), f.pem), who);
    // Stored unencrypted by an older version: encrypt it now, then remove the plain file.
    const privateKey = parsePrivateKey(text, undefined, f.pem);
    const where = storePrivateKey(dir, privateKey, access, { replace: true });
    access.onNotice?.(`The examiner key ${f.pem} was stored unencrypted; it is now encrypted ${where} and the unencrypted file is gone.`);
    return finishLoad(dir, privateKey, who);
  }
  const { privateKey } = generateKeyPairSync('ed25519');
  try {
    storePrivateKey(dir, privateKey, access, { replace: false });
  } catch (err) {
    // Another process made the key meanwhile: theirs wins, and is the one loaded.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return loadOrCreateExaminerKey(dir, identity, access);
    throw err;
  }
  return finishLoad(dir, privateKey, who);
}

/** The key is unlocked once per use; its public file is (re)written so status and clients can read it. */
function finishLoad(dir: string, privateKey: KeyObject, identity: string): ExaminerKey {
  const key = examinerKeyFrom(privateKey, identity);
  const pub = files(dir).pub;
  const status = examinerKeyStatus(dir);
  if (status.fingerprint !== key.fingerprint) {
    fs.writeFileSync(pub, `${sshPublicKeyLine(key.rawPublicKey, identity)}\n`, { mode: 0o644 });
  }
  return key;
}

/**
 * Writes the private key encrypted (keychain if given, else passphrase) through a private temp file linked
 * into place: the key appears whole or not at all. Returns how it is protected, in words.
 */
function storePrivateKey(dir: string, privateKey: KeyObject, access: KeyAccess, opts: { replace: boolean }): string {
  const f = files(dir);
  const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  let target: string;
  let content: Buffer;
  let words: string;
  if (access.keychain) {
    target = f.keychain;
    content = access.keychain.encrypt(pkcs8);
    words = 'under the OS keychain';
  } else {
    const passphrase = askPassphrase(access, true);
    target = f.pem;
    content = Buffer.from(encryptedPkcs8Pem(privateKey, passphrase));
    words = 'under your passphrase';
  }
  const temp = path.join(dir, `.${path.basename(target)}.${process.pid}.${Date.now()}.tmp`);
  const fd = fs.openSync(temp, 'wx', 0o600);
  try {
    fs.writeFileSync(fd, content);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    if (opts.replace) fs.renameSync(temp, target);
    else fs.linkSync(temp, target);
  } finally {
    fs.rmSync(temp, { force: true });
  }
  // Never two private copies: moving under the keychain removes the passphrase/plain file, and the reverse.
  for (const other of [f.pem, f.keychain]) if (other !== target) fs.rmSync(other, { force: true });
  return words;
}

function readPrivateFile(file: string): Buffer {
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
  return fs.readFileSync(file);
}

function parsePrivateKey(pem: string, passphrase: string | undefined, file: string): KeyObject {
  try {
    return createPrivateKey(passphrase === undefined ? pem : { key: pem, format: 'pem', passphrase });
  } catch (err) {
    if (passphrase !== undefined) {
      throw new ExaminerKeyError('passphrase_wrong', `The passphrase does not open the examiner key ${file}.`);
    }
    throw new ExaminerKeyError('key_unreadable', `The examiner key ${file} cannot be read (${(err as Error).message}). Restore it from backup or delete it to make a new key.`);
  }
}

/**
 * Writes the private key to `outFile` (which must not exist) as an encrypted PKCS#8 PEM under `passphrase`,
 * never in the clear: OpenSSL and Peregrine on another machine open it with that passphrase.
 */
export function exportExaminerKey(dir: string, identity: string, access: KeyAccess, outFile: string, passphrase: string): ExaminerKey {
  if (!examinerKeyStatus(dir).protection) throw new ExaminerKeyError('no_key', `There is no examiner key in ${dir} yet.`);
  if (passphrase.length < MIN_PASSPHRASE_LENGTH) {
    throw new ExaminerKeyError('passphrase_weak', `The passphrase for the exported key must be at least ${MIN_PASSPHRASE_LENGTH} characters.`);
  }
  const key = loadOrCreateExaminerKey(dir, identity, access);
  const pem = encryptedPkcs8Pem(key.privateKey, passphrase);
  fs.writeFileSync(outFile, pem, { flag: 'wx', mode: 0o600 });
  return key;
}

/**
 * Makes the Ed25519 key in `file` (PKCS#8 PEM, encrypted under `filePassphrase` or plain) the examiner key,
 * stored encrypted as `access` says. An existing key is replaced only with `replace`.
 */
export function importExaminerKey(
  dir: string,
  identity: string,
  file: string,
  filePassphrase: string | undefined,
  access: KeyAccess,
  opts: { replace?: boolean } = {},
): ExaminerKey {
  const who = checkIdentity(identity);
  const before = examinerKeyStatus(dir);
  if (before.protection && !opts.replace) {
    throw new ExaminerKeyError('key_exists', `There is already an examiner key (${before.fingerprint ?? 'fingerprint unknown'}) in ${dir}; import with --replace to replace it.`);
  }
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ExaminerKeyError('key_unreadable', `${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`);
  }
  const encrypted = isEncryptedPem(text);
  if (encrypted && filePassphrase === undefined) {
    throw new ExaminerKeyError('passphrase_required', `${file} is encrypted: give its passphrase (prompt or ${PASSPHRASE_ENV}).`);
  }
  const privateKey = parsePrivateKey(text, encrypted ? filePassphrase : undefined, file);
  const key = examinerKeyFrom(privateKey, who);
  prepareDir(dir);
  storePrivateKey(dir, privateKey, access, { replace: true });
  fs.writeFileSync(files(dir).pub, `${sshPublicKeyLine(key.rawPublicKey, who)}\n`, { mode: 0o644 });
  return key;
}
