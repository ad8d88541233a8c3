// Main process and CLI (`peregrine case seal`): signs the custody chain and writes the case as one self-contained
// file (VACUUM INTO: no -wal or -shm beside it) for hand-over, then verifies that file.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Database } from 'better-sqlite3';
import { appendCustody } from '../../db/queries/custody';
import type { ExaminerKey } from '../sign/keys';
import type { SignerPin } from '../sign/pin';
import { signCheckpoint, type CheckpointPayload } from './checkpoints';
import { verifyCaseFile, type VerifyReport } from './verify';

export class SealError extends Error {
  override readonly name = 'SealError';
}

export interface SealResult {
  file: string;
  bytes: number;
  sha256: string;
  checkpoint: CheckpointPayload;
  /** verify's report on the written file; the file is removed when it fails. */
  report: VerifyReport;
}

/**
 * Records 'case.sealed' in custody, signs a checkpoint over the whole chain (so the copy is anchored to its last
 * entry), writes the copy with VACUUM INTO through a temporary sibling linked into place (never over an existing
 * file), and verifies the copy, pinned to the signer's key. A copy that fails verification is deleted.
 */
export function sealCase(db: Database, outFile: string, deps: { signer: ExaminerKey; clock: () => Date; pin?: SignerPin }): SealResult {
  const target = path.resolve(outFile);
  const name = path.basename(target);
  if (fs.existsSync(target)) throw new SealError(`${name} already exists: a sealed copy is always a new file, never written over one.`);
  if (!fs.existsSync(path.dirname(target))) throw new SealError(`The folder for ${name} does not exist. Choose an existing folder.`);
  const at = deps.clock().toISOString();
  const checkpoint = db
    .transaction(() => {
      appendCustody(db, { at, action: 'case.sealed', actor: deps.signer.identity, details: { file: name, signerFingerprint: deps.signer.fingerprint } });
      return signCheckpoint(db, deps.signer, { at, reason: 'seal', subject: name });
    })
    .immediate();
  const temp = path.join(path.dirname(target), `.${name}.${process.pid}.${Date.now()}.partial`);
  try {
    // The copy is written in rollback-journal mode: opened read-only elsewhere it never grows a -wal.
    db.prepare('VACUUM INTO ?').run(temp);
    const fd = fs.openSync(temp, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.linkSync(temp, target);
  } finally {
    fs.rmSync(temp, { force: true });
  }
  try {
    const report = verifyCaseFile(target, { signer: deps.pin ?? { fingerprints: new Set([deps.signer.fingerprint]), source: 'the examiner key' } });
    const { bytes, sha256 } = hashFile(target);
    if (!report.ok) fs.rmSync(target, { force: true });
    return { file: target, bytes, sha256, checkpoint, report };
  } catch (err) {
    fs.rmSync(target, { force: true });
    throw err;
  }
}

/** The size and sha256 of a file read a chunk at a time: a sealed case can be larger than one buffer may hold. */
function hashFile(file: string): { bytes: number; sha256: string } {
  const hash = createHash('sha256');
  const chunk = Buffer.allocUnsafe(1 << 20);
  const fd = fs.openSync(file, 'r');
  let bytes = 0;
  try {
    for (let n = fs.readSync(fd, chunk); n > 0; n = fs.readSync(fd, chunk)) {
      hash.update(chunk.subarray(0, n));
      bytes += n;
    }
  } finally {
    fs.closeSync(fd);
  }
  return { bytes, sha256: hash.digest('hex') };
}
