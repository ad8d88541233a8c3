// Vitest (plain Node): each signature format is accepted by the real tool and rejected once the manifest changes.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ExaminerKey, loadOrCreateExaminerKey } from '../../main/sign/keys';
import {
  SIGNATURE_FILES,
  signatureFiles,
  sshPrincipal,
  SSHSIG_NAMESPACE,
  verifyMinisign,
  verifyRawSignature,
  verifySshsig,
} from '../../main/sign/formats';
import { onPath, prerequisite } from '../support/prerequisites';
import { itNeeds } from '../support/vitest-prerequisites';

const needs = { openssl: prerequisite([onPath('openssl')]), minisign: prerequisite([onPath('minisign')]), sshKeygen: prerequisite([onPath('ssh-keygen')]) };

// An identity with a space and a comma: the comma cannot appear in an allowed_signers principal.
const IDENTITY = 'Jane Doe, DFIR <jane@dfir.example>';

let dir: string;
let key: ExaminerKey;
const message = Buffer.from('{"caseId":"c","files":[],"format":"peregrine-export/1"}');
const tampered = Buffer.from('{"caseId":"c","files":[],"format":"peregrine-export/2"}');

/** Writes the signature files and a manifest (original or tampered) into a fresh folder. */
function folder(name: string, manifest: Buffer): string {
  const out = path.join(dir, name);
  fs.mkdirSync(out);
  for (const f of signatureFiles(message, key, { trustedComment: 'peregrine-export test' })) fs.writeFileSync(path.join(out, f.name), f.content);
  fs.writeFileSync(path.join(out, 'manifest.json'), manifest);
  return out;
}

const run = (cwd: string, cmd: string, args: string[], input?: Buffer) => spawnSync(cmd, args, { cwd, input, encoding: 'utf8' });

let good: string;
let bad: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-sig-'));
  key = loadOrCreateExaminerKey(path.join(dir, 'keys'), IDENTITY, { passphrase: () => 'correct horse battery' });
  good = folder('good', message);
  bad = folder('bad', tampered);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('raw Ed25519 + SPKI PEM', () => {
  it('is a bare 64-byte signature that Node accepts and rejects as expected', () => {
    const sig = fs.readFileSync(path.join(good, SIGNATURE_FILES.rawSignature));
    expect(sig).toHaveLength(64);
    expect(verifyRawSignature(message, sig, key.publicKeyPem)).toBe(true);
    expect(verifyRawSignature(tampered, sig, key.publicKeyPem)).toBe(false);
  });

  itNeeds(needs.openssl)(`openssl pkeyutl accepts it and rejects a tampered manifest`, () => {
    const args = ['pkeyutl', '-verify', '-pubin', '-inkey', 'signer.pub.pem', '-rawin', '-in', 'manifest.json', '-sigfile', 'manifest.json.sig'];
    const ok = run(good, 'openssl', args);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/Signature Verified Successfully/);
    const no = run(bad, 'openssl', args);
    expect(no.status).not.toBe(0);
  });
});

describe('minisign', () => {
  it('is prehashed (ED) and Node checks it, trusted comment included', () => {
    const minisig = fs.readFileSync(path.join(good, SIGNATURE_FILES.minisignSignature), 'utf8');
    const pub = fs.readFileSync(path.join(good, SIGNATURE_FILES.minisignPublicKey), 'utf8');
    expect(Buffer.from(minisig.split('\n')[1]!, 'base64').subarray(0, 2).toString()).toBe('ED');
    expect(verifyMinisign(message, minisig, pub)).toMatchObject({ ok: true, detail: 'peregrine-export test' });
    expect(verifyMinisign(tampered, minisig, pub).ok).toBe(false);
    const forgedComment = minisig.replace('trusted comment: peregrine-export test', 'trusted comment: peregrine-export forged');
    expect(verifyMinisign(message, forgedComment, pub)).toEqual({ ok: false, reason: 'the minisign trusted comment was changed' });
  });

  itNeeds(needs.minisign)(`minisign -V accepts it and rejects a tampered manifest`, () => {
    const ok = run(good, 'minisign', ['-Vm', 'manifest.json', '-p', 'minisign.pub']);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/Signature and comment signature verified/);
    expect(ok.stdout).toMatch(/Trusted comment: peregrine-export test/);
    const strict = run(good, 'minisign', ['-H', '-Vm', 'manifest.json', '-p', 'minisign.pub', '-x', 'manifest.json.minisig']);
    expect(strict.status, strict.stderr).toBe(0);
    expect(run(bad, 'minisign', ['-Vm', 'manifest.json', '-p', 'minisign.pub']).status).not.toBe(0);
  });
});

describe('OpenSSH SSHSIG', () => {
  it('quotes a principal ssh-keygen can match, and Node checks the signature', () => {
    expect(sshPrincipal(IDENTITY)).toBe('Jane Doe_ DFIR <jane@dfir.example>');
    expect(fs.readFileSync(path.join(good, SIGNATURE_FILES.allowedSigners), 'utf8')).toMatch(
      /^"Jane Doe_ DFIR <jane@dfir\.example>" namespaces="peregrine-export" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA[A-Za-z0-9+/=]+\n$/,
    );
    const sig = fs.readFileSync(path.join(good, SIGNATURE_FILES.sshSignature), 'utf8');
    expect(verifySshsig(message, sig, SSHSIG_NAMESPACE).ok).toBe(true);
    expect(verifySshsig(tampered, sig, SSHSIG_NAMESPACE).ok).toBe(false);
    expect(verifySshsig(message, sig, 'file')).toMatchObject({ ok: false, reason: expect.stringMatching(/namespace/) });
  });

  itNeeds(needs.sshKeygen)(`ssh-keygen -Y verify accepts it and rejects a tampered manifest`, () => {
    const args = ['-Y', 'verify', '-f', 'allowed_signers', '-I', sshPrincipal(IDENTITY), '-n', SSHSIG_NAMESPACE, '-s', 'manifest.json.sshsig'];
    const ok = run(good, 'ssh-keygen', args, message);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toContain(`Good "peregrine-export" signature for ${sshPrincipal(IDENTITY)} with ED25519 key ${key.fingerprint}`);
    expect(run(bad, 'ssh-keygen', args, tampered).status).not.toBe(0);
    // A signature for this namespace cannot be replayed as another's.
    expect(run(good, 'ssh-keygen', [...args.slice(0, 6), 'file', ...args.slice(7)], message).status).not.toBe(0);
  });
});
