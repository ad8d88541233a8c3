// Vitest (plain Node): the three signature checks verify uses refuse each malformed or foreign file with its own reason,
// and accept the older forms the standard tools accept (legacy minisign, SSHSIG over SHA-256).
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  allowedSigners,
  allowedSignersKey,
  minisignKeyId,
  minisignKeyIdHex,
  minisignPublicKey,
  minisignSignature,
  rawSignature,
  sshPrincipal,
  sshSignature,
  SSHSIG_NAMESPACE,
  verifyMinisign,
  verifyRawSignature,
  verifySshsig,
} from '../../main/sign/formats';
import { examinerKeyFrom, type ExaminerKey } from '../../main/sign/keys';
import { SshReader, sshEd25519PublicBlob, sshFingerprint, sshPublicKeyLine, sshString } from '../../main/sign/wire';

const message = Buffer.from('{"format":"peregrine-export/1"}');
let key: ExaminerKey;
let other: ExaminerKey;

beforeAll(() => {
  key = examinerKeyFrom(generateKeyPairSync('ed25519').privateKey, 'Jane Doe');
  other = examinerKeyFrom(generateKeyPairSync('ed25519').privateKey, 'John Roe');
});

describe('verifyRawSignature', () => {
  it('accepts only a 64-byte Ed25519 signature under an Ed25519 PEM', () => {
    const sig = rawSignature(message, key);
    expect(verifyRawSignature(message, sig, key.publicKeyPem)).toBe(true);
    expect(verifyRawSignature(message, sig, other.publicKeyPem)).toBe(false);
    expect(verifyRawSignature(message, Buffer.concat([sig, Buffer.alloc(1)]), key.publicKeyPem)).toBe(false);
    expect(verifyRawSignature(message, sig, 'not a key')).toBe(false);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const rsaSig = sign('sha256', message, rsa.privateKey).subarray(0, 64);
    expect(verifyRawSignature(message, rsaSig, rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString())).toBe(false);
    // A 512-bit RSA key makes 64-byte signatures that verify under it: still not an Ed25519 signature.
    const rsa512 = generateKeyPairSync('rsa', { modulusLength: 512 });
    const sig512 = sign(null, message, rsa512.privateKey);
    expect(sig512).toHaveLength(64);
    expect(verifyRawSignature(message, sig512, rsa512.publicKey.export({ type: 'spki', format: 'pem' }).toString())).toBe(false);
  });
});

describe('minisign', () => {
  const lines = () => minisignSignature(message, key, 'case:c1').split('\n');
  const pub = () => minisignPublicKey(key);
  const reason = (minisig: string, minisignPub = pub()) => {
    const r = verifyMinisign(message, minisig, minisignPub);
    return r.ok ? 'ok' : r.reason;
  };
  /** A signature line with its algorithm bytes replaced and, for legacy 'Ed', the message signed directly. */
  const withAlg = (alg: string, signed: Buffer) => {
    const l = lines();
    const sig = sign(null, signed, key.privateKey);
    l[1] = Buffer.concat([Buffer.from(alg), minisignKeyId(key.rawPublicKey), sig]).toString('base64');
    l[3] = sign(null, Buffer.concat([sig, Buffer.from('case:c1')]), key.privateKey).toString('base64');
    return l.join('\n');
  };

  it('prints the key id little-endian in upper-case hex, as minisign does', () => {
    expect(minisignKeyIdHex(Buffer.from([0x01, 0x02, 0xab, 0, 0, 0, 0, 0xfe]))).toBe('FE00000000AB0201');
    expect(pub()).toMatch(new RegExp(`^untrusted comment: minisign public key ${minisignKeyIdHex(minisignKeyId(key.rawPublicKey))}\\n[A-Za-z0-9+/]{56}\\n$`));
    expect(lines()[0]).toBe(`untrusted comment: signature from Peregrine examiner key ${key.fingerprint}`);
  });

  it('accepts its own signature with CRLF line ends, returning the key and the trusted comment', () => {
    const r = verifyMinisign(message, lines().join('\r\n'), pub().replace(/\n/g, '\r\n'));
    expect(r).toEqual({ ok: true, rawPublicKey: key.rawPublicKey, detail: 'case:c1' });
  });

  it('writes four lines, each ended by a newline', () => {
    expect(lines()).toHaveLength(5);
    expect(lines()[4]).toBe('');
  });

  it('puts a multi-line trusted comment on one line', () => {
    expect(lines()[2]).toBe('trusted comment: case:c1');
    expect(minisignSignature(message, key, ' a\r\nb\nc ').split('\n')[2]).toBe('trusted comment: a b c');
  });

  it('accepts the legacy (not prehashed) algorithm and refuses an unknown one', () => {
    expect(reason(withAlg('Ed', message))).toBe('ok');
    expect(reason(withAlg('EX', message))).toBe('unknown minisign signature algorithm');
  });

  it('refuses a public key that is not minisign Ed25519', () => {
    const [comment, body] = pub().split('\n');
    const raw = Buffer.from(body!, 'base64');
    expect(reason(lines().join('\n'), `${comment}\n${Buffer.concat([Buffer.from('Ex'), raw.subarray(2)]).toString('base64')}\n`)).toBe('minisign.pub is not a minisign Ed25519 public key');
    expect(reason(lines().join('\n'), `${comment}\n${raw.subarray(0, 41).toString('base64')}\n`)).toBe('minisign.pub is not a minisign Ed25519 public key');
    expect(reason(lines().join('\n'), `${comment}\n`)).toBe('minisign.pub is not a minisign Ed25519 public key');
  });

  it('refuses a malformed signature file, each line checked', () => {
    const malformed = 'the minisign signature file is malformed';
    const l = lines();
    expect(reason(['comment', ...l.slice(1)].join('\n'))).toBe(malformed);
    expect(reason([l[0], '', ...l.slice(2)].join('\n'))).toBe(malformed);
    expect(reason([...l.slice(0, 2), l[2]!.replace('trusted comment: ', 'trusted: '), ...l.slice(3)].join('\n'))).toBe(malformed);
    expect(reason(l.slice(0, 3).join('\n'))).toBe(malformed);
    expect(reason(l.slice(0, 2).join('\n'))).toBe(malformed);
    expect(reason('')).toBe(malformed);
  });

  it('refuses a signature of the wrong length, by another key id, or over another message', () => {
    const l = lines();
    const sig = Buffer.from(l[1]!, 'base64');
    expect(reason([l[0], sig.subarray(0, 73).toString('base64'), ...l.slice(2)].join('\n'))).toBe('the minisign signature has the wrong length');
    const otherId = Buffer.from(sig);
    otherId[5]! ^= 1;
    expect(reason([l[0], otherId.toString('base64'), ...l.slice(2)].join('\n'))).toBe('the minisign signature was made with another key id');
    expect(verifyMinisign(Buffer.from('other'), l.join('\n'), pub())).toEqual({ ok: false, reason: 'the minisign signature does not match manifest.json' });
    // Signed by another key under this key id.
    const forged = minisignSignature(message, other, 'case:c1').split('\n');
    const forgedSig = Buffer.from(forged[1]!, 'base64');
    minisignKeyId(key.rawPublicKey).copy(forgedSig, 2);
    expect(reason([l[0], forgedSig.toString('base64'), ...l.slice(2)].join('\n'))).toBe('the minisign signature does not match manifest.json');
  });
});

describe('OpenSSH SSHSIG', () => {
  /** An armored SSHSIG with any field replaced. */
  function armored(fields: Partial<{ magic: Buffer; version: number; keyType: string; rawKey: Buffer; namespace: string; hash: string; sigType: string; signedNamespace: string }> = {}): string {
    const f = { magic: Buffer.from('SSHSIG'), version: 1, keyType: 'ssh-ed25519', rawKey: key.rawPublicKey, namespace: SSHSIG_NAMESPACE, hash: 'sha512', sigType: 'ssh-ed25519', ...fields };
    const signedNamespace = fields.signedNamespace ?? f.namespace;
    const signed = Buffer.concat([Buffer.from('SSHSIG'), sshString(signedNamespace), sshString(''), sshString(f.hash), sshString(createHash(f.hash === 'md5' ? 'md5' : f.hash).update(message).digest())]);
    const signature = sign(null, signed, key.privateKey);
    const version = Buffer.alloc(4);
    version.writeUInt32BE(f.version);
    const blob = Buffer.concat([
      f.magic, version, sshString(Buffer.concat([sshString(f.keyType), sshString(f.rawKey)])), sshString(f.namespace), sshString(''), sshString(f.hash),
      sshString(Buffer.concat([sshString(f.sigType), sshString(signature)])),
    ]);
    return `-----BEGIN SSH SIGNATURE-----\n${blob.toString('base64')}\n-----END SSH SIGNATURE-----\n`;
  }
  const check = (text: string, namespace = SSHSIG_NAMESPACE) => {
    const r = verifySshsig(message, text, namespace);
    return r.ok ? `ok ${sshFingerprint(r.rawPublicKey)}` : r.reason;
  };

  it('writes what ssh-keygen -Y sign writes: 70-column armor around version 1, SHA-512', () => {
    const text = sshSignature(message, key, SSHSIG_NAMESPACE);
    const body = text.split('\n').slice(1, -2);
    expect(text.startsWith('-----BEGIN SSH SIGNATURE-----\n')).toBe(true);
    expect(text.endsWith('\n-----END SSH SIGNATURE-----\n')).toBe(true);
    expect(body.slice(0, -1).every((l) => l.length === 70)).toBe(true);
    const reader = new SshReader(Buffer.from(body.join(''), 'base64'));
    expect(reader.bytes(6).toString()).toBe('SSHSIG');
    expect(reader.uint32()).toBe(1);
    expect(reader.string()).toEqual(sshEd25519PublicBlob(key.rawPublicKey));
    expect(reader.string().toString()).toBe(SSHSIG_NAMESPACE);
    expect(reader.string()).toHaveLength(0);
    expect(reader.string().toString()).toBe('sha512');
    expect(check(text)).toBe(`ok ${key.fingerprint}`);
    expect(check(armored())).toBe(`ok ${key.fingerprint}`);
  });

  it('accepts SHA-256, as ssh-keygen does, and refuses any other hash', () => {
    expect(check(armored({ hash: 'sha256' }))).toBe(`ok ${key.fingerprint}`);
    expect(check(armored({ hash: 'md5' }))).toBe('unsupported hash md5');
  });

  it('refuses each malformed or foreign signature with its reason', () => {
    expect(check('no armor')).toBe('the SSH signature file is not armored');
    expect(check('-----BEGIN SSH SIGNATURE----------END SSH SIGNATURE-----')).toBe('the SSH signature file is not armored');
    expect(check(armored({ magic: Buffer.from('SSHSIH') }))).toBe('not an SSHSIG version 1 signature');
    expect(check(armored({ version: 2 }))).toBe('not an SSHSIG version 1 signature');
    expect(check(armored({ keyType: 'ssh-rsa' }))).toBe('unexpected SSH key type ssh-rsa');
    expect(check(armored({ sigType: 'rsa-sha2-512' }))).toBe('unexpected SSH key type ssh-ed25519');
    expect(check(armored({ rawKey: Buffer.concat([key.rawPublicKey, Buffer.alloc(1)]) }))).toBe('unexpected SSH key type ssh-ed25519');
    expect(check(armored(), 'file')).toBe(`signed for namespace '${SSHSIG_NAMESPACE}', not 'file'`);
    expect(check(armored({ signedNamespace: 'file' }))).toBe('the SSH signature does not match manifest.json');
    const truncated = armored().replace(/\n([A-Za-z0-9+/=]+)\n/, (_m, b64: string) => `\n${Buffer.from(b64, 'base64').subarray(0, 40).toString('base64')}\n`);
    expect(check(truncated)).toBe('the SSH signature cannot be read (truncated SSH structure)');
  });
});

describe('allowed_signers', () => {
  it('quotes the principal with its namespace, and reads the key back', () => {
    expect(allowedSigners(key, 'file')).toBe(`"Jane Doe" namespaces="file" ssh-ed25519 ${sshEd25519PublicBlob(key.rawPublicKey).toString('base64')}\n`);
    expect(allowedSignersKey(allowedSigners(key, 'file'))).toEqual(key.rawPublicKey);
    expect(allowedSignersKey(allowedSigners(key, 'file').replace('ssh-ed25519 ', 'ssh-ed25519 \t '))).toEqual(key.rawPublicKey);
    expect(sshPrincipal(' a\u0000b\u001fc\u007fd,e*f?g!h"i\'j\\k ')).toBe('a_b_c_d_e_f_g_h_i_j_k');
  });

  it('reads nothing from a file without an ssh-ed25519 key blob', () => {
    expect(allowedSignersKey('')).toBeNull();
    expect(allowedSignersKey('"x" ssh-rsa AAAA')).toBeNull();
    expect(allowedSignersKey(`"x" ssh-ed25519 ${Buffer.concat([sshString('ssh-rsa'), sshString(key.rawPublicKey)]).toString('base64')}`)).toBeNull();
    expect(allowedSignersKey(`"x" ssh-ed25519 ${sshString('ssh-ed25519').toString('base64')}`)).toBeNull();
  });
});

describe('SSH wire helpers', () => {
  it('encodes strings with their length and reads them back, refusing a truncated one', () => {
    expect(sshString('ab')).toEqual(Buffer.from([0, 0, 0, 2, 0x61, 0x62]));
    expect(sshString(new Uint8Array([1, 2, 3]))).toEqual(Buffer.from([0, 0, 0, 3, 1, 2, 3]));
    const reader = new SshReader(Buffer.concat([sshString('ab'), Buffer.from([0, 0, 0, 5, 1])]));
    expect(reader.done).toBe(false);
    expect(reader.string().toString()).toBe('ab');
    expect(() => reader.string()).toThrow('truncated SSH structure');
    const whole = new SshReader(sshString('x'));
    whole.string();
    expect(whole.done).toBe(true);
    expect(() => new SshReader(Buffer.alloc(3)).uint32()).toThrow('truncated SSH structure');
  });

  it('prints fingerprints and key lines as OpenSSH does', () => {
    const digest = createHash('sha256').update(sshEd25519PublicBlob(key.rawPublicKey)).digest('base64').replace(/=+$/, '');
    expect(sshFingerprint(key.rawPublicKey)).toBe(`SHA256:${digest}`);
    expect(sshFingerprint(key.rawPublicKey)).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    const blob = sshEd25519PublicBlob(key.rawPublicKey).toString('base64');
    expect(blob.startsWith('AAAAC3NzaC1lZDI1NTE5AAAAI')).toBe(true);
    expect(sshPublicKeyLine(key.rawPublicKey, ' Jane\r\nDoe ')).toBe(`ssh-ed25519 ${blob} Jane  Doe`);
    expect(sshPublicKeyLine(key.rawPublicKey, ' \n')).toBe(`ssh-ed25519 ${blob}`);
  });
});
