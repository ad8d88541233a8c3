// Vitest (plain Node): `--signer` reads a fingerprint or a key file in each accepted form, and refuses anything else by name.
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allowedSigners, minisignPublicKey, SIGNATURE_FILES } from '../../main/sign/formats';
import { examinerKeyFrom, type ExaminerKey } from '../../main/sign/keys';
import { parseSignerPin, pinnedKeys, SignerPinError } from '../../main/sign/pin';
import { sshPublicKeyLine, sshString } from '../../main/sign/wire';

let dir: string;
let a: ExaminerKey;
let b: ExaminerKey;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-pin-'));
  a = examinerKeyFrom(generateKeyPairSync('ed25519').privateKey, 'Jane Doe');
  b = examinerKeyFrom(generateKeyPairSync('ed25519').privateKey, 'John Roe');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const write = (name: string, text: string): string => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
};
const refusal = (value: string, cwd?: string): string => {
  try {
    parseSignerPin(value, cwd);
  } catch (err) {
    expect(err).toBeInstanceOf(SignerPinError);
    expect((err as Error).name).toBe('SignerPinError');
    return (err as Error).message;
  }
  throw new Error(`${value} was accepted`);
};

describe('parseSignerPin', () => {
  it('takes a whole SHA256 fingerprint as it is, with spaces around', () => {
    expect(parseSignerPin(`  ${a.fingerprint}\n`)).toEqual({ fingerprints: new Set([a.fingerprint]), source: a.fingerprint });
  });

  it('refuses a cut or padded fingerprint, saying what a whole one is', () => {
    expect(refusal(a.fingerprint.slice(0, -1))).toMatch(/^--signer SHA256:\S+ is not a whole SHA256 fingerprint/);
    expect(refusal(`${a.fingerprint}A`)).toMatch(/is not a whole SHA256 fingerprint/);
    expect(refusal(`x${a.fingerprint}`, dir)).toMatch(/neither a SHA256:… fingerprint nor a readable key file \(ENOENT\)/);
  });

  it('reads signer.pub.pem (SPKI PEM), naming the file as the source', () => {
    const file = write(SIGNATURE_FILES.publicKeyPem, a.publicKeyPem);
    expect(parseSignerPin(file)).toEqual({ fingerprints: new Set([a.fingerprint]), source: SIGNATURE_FILES.publicKeyPem });
    // Relative to the given folder.
    expect(parseSignerPin(SIGNATURE_FILES.publicKeyPem, dir).fingerprints).toEqual(new Set([a.fingerprint]));
  });

  it('refuses a PEM that is not an Ed25519 public key', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(refusal(write('rsa.pem', rsa))).toMatch(/^--signer \S+rsa\.pem: the file holds no Ed25519 public key/);
    expect(refusal(write('broken.pem', '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n'))).toMatch(/holds no Ed25519 public key/);
    // An EC key's JWK has an x coordinate too: it is still not an Ed25519 key.
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(refusal(write('ec.pem', ec))).toMatch(/holds no Ed25519 public key/);
  });

  it('reads every ssh-ed25519 key of an OpenSSH .pub or allowed_signers file', () => {
    expect(parseSignerPin(write('id.pub', `${sshPublicKeyLine(a.rawPublicKey, 'jane')}\n`)).fingerprints).toEqual(new Set([a.fingerprint]));
    const both = `${allowedSigners(a, 'file')}${allowedSigners(b, 'file')}`;
    expect(parseSignerPin(write('allowed_signers', both))).toEqual({ fingerprints: new Set([a.fingerprint, b.fingerprint]), source: 'allowed_signers' });
    // Any white space between the type and the blob, as OpenSSH allows.
    const spaced = sshPublicKeyLine(a.rawPublicKey, 'jane').replace(' ', ' \t ');
    expect(parseSignerPin(write('spaced.pub', spaced)).fingerprints).toEqual(new Set([a.fingerprint]));
    // OpenSSH keys first: a minisign key line in the same file does not replace them.
    const [, minisignLine] = minisignPublicKey(a).split('\n');
    expect(parseSignerPin(write('mixed-kinds.pub', `${minisignLine}\n${sshPublicKeyLine(b.rawPublicKey, 'john')}\n`)).fingerprints).toEqual(new Set([b.fingerprint]));
  });

  it('skips ssh-ed25519 blobs that do not hold one 32-byte key, and refuses a file with none', () => {
    const blob = (parts: Buffer[]) => `ssh-ed25519 ${Buffer.concat(parts).toString('base64')}`;
    const wrongType = blob([sshString('ssh-rsa'), sshString(a.rawPublicKey)]);
    const shortKey = blob([sshString('ssh-ed25519'), sshString(a.rawPublicKey.subarray(0, 31))]);
    const trailing = blob([sshString('ssh-ed25519'), sshString(a.rawPublicKey), Buffer.from([0])]);
    const truncated = blob([sshString('ssh-ed25519'), Buffer.from([0, 0, 0, 32, 1, 2])]);
    const good = sshPublicKeyLine(b.rawPublicKey, 'john');
    expect(parseSignerPin(write('mixed.pub', [wrongType, shortKey, trailing, truncated, good].join('\n'))).fingerprints).toEqual(new Set([b.fingerprint]));
    expect(refusal(write('none.pub', [wrongType, shortKey, trailing, truncated].join('\n')))).toMatch(/holds no Ed25519 public key/);
  });

  it('reads a minisign public key, and refuses one of the wrong length or algorithm', () => {
    const pub = minisignPublicKey(a);
    expect(parseSignerPin(write('minisign.pub', pub))).toEqual({ fingerprints: new Set([a.fingerprint]), source: 'minisign.pub' });
    const [comment, line] = pub.split('\n');
    const raw = Buffer.from(line!, 'base64');
    expect(parseSignerPin(write('bare.pub', `${line}\n`)).fingerprints).toEqual(new Set([a.fingerprint]));
    expect(parseSignerPin(write('blank-line.pub', `${comment}\n   \n  ${line}  \n`)).fingerprints).toEqual(new Set([a.fingerprint]));
    const otherAlg = Buffer.from(raw);
    otherAlg.write('ED', 0);
    expect(refusal(write('alg.pub', `${comment}\n${otherAlg.toString('base64')}\n`))).toMatch(/holds no Ed25519 public key/);
    expect(refusal(write('short.pub', `${comment}\n${raw.subarray(0, 41).toString('base64')}\n`))).toMatch(/holds no Ed25519 public key/);
    expect(refusal(write('empty.pub', `${comment}\n`))).toMatch(/holds no Ed25519 public key/);
  });
});

describe('pinnedKeys', () => {
  it('names one key with its source, or counts several', () => {
    expect(pinnedKeys({ fingerprints: new Set([a.fingerprint]), source: 'signer.pub.pem' })).toBe(`the pinned key ${a.fingerprint} (from signer.pub.pem)`);
    expect(pinnedKeys({ fingerprints: new Set([a.fingerprint, b.fingerprint]), source: 'allowed_signers' })).toBe(
      `the 2 keys pinned in allowed_signers (${a.fingerprint}, ${b.fingerprint})`,
    );
  });
});
