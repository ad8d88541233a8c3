// Vitest (plain Node): the examiner's signed checkpoints anchor the custody chain; truncating or rewriting it is named.
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { canonicalize } from 'json-canonicalize';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeDatabase } from '../../db/connection';
import { appendCustody, custodyHash, GENESIS_HASH, type CustodyDetails } from '../../db/queries/custody';
import { createCase, openCase } from '../../main/case/case';
import { checkCheckpoints, describeAnchor, signCheckpoint } from '../../main/case/checkpoints';
import { sealCase } from '../../main/case/seal';
import { verifyCaseFile } from '../../main/case/verify';
import { examinerKeyFrom, type ExaminerKey } from '../../main/sign/keys';
import { parseSignerPin } from '../../main/sign/pin';

let dir: string;
let file: string;
let examiner: ExaminerKey;
let tick = 0;
const clock = () => new Date(Date.UTC(2024, 4, 1, 9, tick++));

/** A case with 6 custody entries, sealed (entry 7, 'case.sealed', and a checkpoint through it), then one entry more. */
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-checkpoints-'));
  file = path.join(dir, 'case.peregrine');
  examiner = examinerKeyFrom(generateKeyPairSync('ed25519').privateKey, 'Jane Doe');
  const { db } = createCase(file, { name: 'Contoso', examiner: 'Jane Doe' }, { clock, toolVersion: '0.1.0' });
  for (const action of ['collection.started', 'collection.finished', 'note.added', 'note.added', 'note.added']) {
    appendCustody(db, { at: clock().toISOString(), action, actor: 'Jane Doe', details: { n: tick } });
  }
  const sealed = sealCase(db, path.join(dir, 'handover.peregrine'), { signer: examiner, clock });
  expect(sealed.report.problems).toEqual([]);
  appendCustody(db, { at: clock().toISOString(), action: 'note.added', actor: 'Jane Doe', details: { n: tick } });
  closeDatabase(db);
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Edits the case file as a hostile holder would: guard triggers dropped, the change made, the triggers put back. */
function tamper(edit: (raw: BetterSqlite3.Database) => void): void {
  const raw = new BetterSqlite3(file);
  const triggers = raw.prepare(`SELECT name, sql FROM sqlite_schema WHERE type = 'trigger' AND tbl_name IN ('custody', 'custody_checkpoint')`).all() as { name: string; sql: string }[];
  for (const t of triggers) raw.exec(`DROP TRIGGER "${t.name}"`);
  edit(raw);
  for (const t of triggers) raw.exec(t.sql);
  raw.close();
}

type Row = { seq: number; at: string; action: string; actor: string; details: string; prev_hash: string; hash: string };

/** Rewrites entry `seq` with `change` and re-hashes every entry after it, so the chain itself checks out. */
function rewriteAndRehash(raw: BetterSqlite3.Database, seq: number, change: Partial<Row>): void {
  const rows = raw.prepare('SELECT * FROM custody ORDER BY seq').all() as Row[];
  let prev = GENESIS_HASH;
  for (const row of rows) {
    const next = row.seq === seq ? { ...row, ...change } : row;
    if (row.seq >= seq) {
      const hash = custodyHash({ seq: next.seq, at: next.at, action: next.action, actor: next.actor, details: JSON.parse(next.details) as CustodyDetails, prevHash: prev });
      raw.prepare('UPDATE custody SET actor = ?, prev_hash = ?, hash = ? WHERE seq = ?').run(next.actor, prev, hash, row.seq);
      prev = hash;
    } else prev = row.hash;
  }
}

describe('checkpoints', () => {
  it('say how far the chain is anchored, and by whom', () => {
    const report = verifyCaseFile(file);
    expect(report.problems).toEqual([]);
    expect(report.anchor).toEqual({
      through: 7, of: 8, checkpoints: 1,
      signer: { identity: 'Jane Doe', fingerprint: examiner.fingerprint }, signers: [{ identity: 'Jane Doe', fingerprint: examiner.fingerprint }],
    });
    expect(describeAnchor(report.anchor!)).toBe(`custody anchored through entry 7 of 8 by Jane Doe ${examiner.fingerprint}; entries after 7 are not yet signed`);
    expect(verifyCaseFile(file, { signer: parseSignerPin(examiner.fingerprint) }).ok).toBe(true);
  });

  it.each([1, 2, 3])('catch the deletion of the last %i entries a checkpoint covers', (n) => {
    // The unsigned entry 8 goes too: entries 8-n+1 … 8 deleted.
    tamper((raw) => raw.prepare('DELETE FROM custody WHERE seq > ?').run(8 - n - 1));
    const report = verifyCaseFile(file);
    expect(report.ok).toBe(false);
    const last = 8 - n - 1;
    expect(report.problems).toEqual([
      {
        where: 'custody entry 7',
        message: expect.stringMatching(new RegExp(`^Custody ${last + 1 === 7 ? 'entry 7 is' : `entries ${last + 1}–7 are`} missing, but checkpoint 1 signed by Jane Doe SHA256:\\S+ at \\S+ covers the chain through entry 7; the log now ends at entry ${last}: custody entries were deleted\\.$`)),
      },
    ]);
  });

  it('catch entry 2 rewritten and every later entry re-hashed, naming entry 2', () => {
    tamper((raw) => rewriteAndRehash(raw, 2, { actor: 'Someone Else' }));
    const report = verifyCaseFile(file);
    expect(report.ok).toBe(false);
    expect(report.problems[0]).toEqual({
      where: 'custody entry 2 (collection.started)',
      message: expect.stringMatching(/^Its hash is [0-9a-f]{64}, but checkpoint 1 signed by Jane Doe SHA256:\S+ at \S+ recorded [0-9a-f]{64}: this entry \(or one before it\) was rewritten after it was signed\.$/),
    });
  });

  it('leave an entry deleted from the middle of a signed range to the chain check, and compare the others with the hashes signed for them', () => {
    tamper((raw) => raw.exec('DELETE FROM custody WHERE seq = 3'));
    expect(verifyCaseFile(file).problems.map((p) => `${p.where}: ${p.message.replace(/[0-9a-f]{64}/g, 'H')}`)).toEqual([
      'custody entry 4 (note.added): Entries 3–3 are missing: custody entries were deleted.',
      'custody entry 4 (note.added): prev_hash H does not match the hash of entry 2 (H): entry 2 or this link was changed.',
    ]);
  });

  it('catch an emptied custody log', () => {
    tamper((raw) => raw.exec('DELETE FROM custody'));
    const report = verifyCaseFile(file);
    expect(report.problems).toEqual([
      { where: 'case_meta', message: 'No custody entry records the creation of this case (case.created): the custody log was emptied or replaced.' },
      { where: 'custody entry 7', message: expect.stringMatching(/^Custody entries 1–7 are missing, but checkpoint 1 signed by Jane Doe .* covers the chain through entry 7 and the custody log is empty: custody entries were deleted\.$/) },
    ]);
  });

  it('catch a checkpoint changed after signing, or one deleted between two others', () => {
    const { db } = openCase(file);
    sealCase(db, path.join(dir, 'second.peregrine'), { signer: examiner, clock });
    closeDatabase(db);
    // Two checkpoints by one key: one signer; the second links to the first.
    expect(verifyCaseFile(file).problems).toEqual([]);
    expect(verifyCaseFile(file).anchor).toEqual({
      through: 9, of: 9, checkpoints: 2,
      signer: { identity: 'Jane Doe', fingerprint: examiner.fingerprint }, signers: [{ identity: 'Jane Doe', fingerprint: examiner.fingerprint }],
    });
    const copy = path.join(dir, 'copy.peregrine');
    fs.copyFileSync(file, copy);
    tamper((raw) => raw.prepare(`UPDATE custody_checkpoint SET payload = replace(payload, '"reason":"seal"', '"reason":"export"') WHERE id = 1`).run());
    expect(verifyCaseFile(file).problems).toEqual([
      { where: 'custody_checkpoint 1', message: `Its signature by Jane Doe ${examiner.fingerprint} does not verify: the checkpoint was changed after it was signed.` },
      { where: 'custody_checkpoint 2', message: 'It does not follow checkpoint 1: a checkpoint between them was deleted or replaced.' },
    ]);
    fs.copyFileSync(copy, file);
    tamper((raw) => raw.exec('DELETE FROM custody_checkpoint WHERE id = 1'));
    expect(verifyCaseFile(file).problems.map((p) => p.where)).toEqual(['custody_checkpoint 2', 'custody_checkpoint 2']);
    expect(verifyCaseFile(file).problems[0]!.message).toBe('Checkpoints 1–1 are missing: signed checkpoints were deleted.');
  });

  it('fail --signer on a checkpoint by another key, and on a case with none', () => {
    const other = examinerKeyFrom(generateKeyPairSync('ed25519').privateKey, 'Jane Doe');
    const report = verifyCaseFile(file, { signer: parseSignerPin(other.fingerprint) });
    expect(report.problems).toEqual([{ where: 'custody_checkpoint 1', message: `It is signed by Jane Doe ${examiner.fingerprint}, not by the pinned key ${other.fingerprint} (from ${other.fingerprint}).` }]);
    tamper((raw) => raw.exec('DELETE FROM custody_checkpoint'));
    expect(verifyCaseFile(file, { signer: parseSignerPin(examiner.fingerprint) }).problems).toEqual([
      { where: 'custody entry 7 (case.sealed)', message: 'It records a seal into handover.peregrine, but no signed checkpoint covers it: the checkpoint was deleted.' },
      { where: 'custody_checkpoint', message: `No checkpoint is signed, so nothing in this case file is signed by the pinned key ${examiner.fingerprint} (from ${examiner.fingerprint}).` },
    ]);
  });

  it('catch every checkpoint deleted, or the table dropped, while the entries that made them remain', () => {
    const copy = path.join(dir, 'copy.peregrine');
    fs.copyFileSync(file, copy);
    tamper((raw) => raw.exec('DELETE FROM custody_checkpoint'));
    expect(verifyCaseFile(file).problems).toEqual([
      { where: 'custody entry 7 (case.sealed)', message: 'It records a seal into handover.peregrine, but no signed checkpoint covers it: the checkpoint was deleted.' },
    ]);
    fs.copyFileSync(copy, file);
    const raw = new BetterSqlite3(file);
    raw.exec('DROP TABLE custody_checkpoint'); // its guard triggers go with it
    raw.close();
    const problems = verifyCaseFile(file).problems;
    expect(problems.map((p) => p.where)).toEqual([
      'schema (table custody_checkpoint)', 'schema (trigger custody_checkpoint_refuseUpdate)', 'schema (trigger custody_checkpoint_refuseDelete)',
      'custody_checkpoint', 'custody entry 7 (case.sealed)',
    ]);
    expect(problems[3]!.message).toBe('The table of signed checkpoints is missing from a case file whose schema has it: it was dropped outside Peregrine.');
  });
});

describe('case seal', () => {
  it('writes one self-contained file that verifies on another machine, anchored to its last entry', () => {
    const sealed = path.join(dir, 'handover.peregrine');
    expect(fs.readdirSync(dir).filter((n) => n.startsWith('handover'))).toEqual(['handover.peregrine']);
    const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-elsewhere-'));
    try {
      const moved = path.join(elsewhere, 'handover.peregrine');
      fs.copyFileSync(sealed, moved);
      const report = verifyCaseFile(moved, { signer: parseSignerPin(examiner.fingerprint) });
      expect(report.problems).toEqual([]);
      expect(report.anchor).toMatchObject({ through: 7, of: 7 });
      expect(fs.readdirSync(elsewhere)).toEqual(['handover.peregrine']);
      const raw = new BetterSqlite3(moved, { readonly: true });
      expect(raw.pragma('journal_mode', { simple: true })).toBe('delete');
      expect(raw.prepare('SELECT action FROM custody ORDER BY seq DESC LIMIT 1').pluck().get()).toBe('case.sealed');
      raw.close();
    } finally {
      fs.rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('never writes over an existing file', () => {
    const { db } = openCase(file);
    try {
      expect(() => sealCase(db, path.join(dir, 'handover.peregrine'), { signer: examiner, clock })).toThrow(/handover\.peregrine already exists/);
    } finally {
      closeDatabase(db);
    }
  });

  it('refuses to sign a chain that no longer matches its checkpoint', () => {
    tamper((raw) => rewriteAndRehash(raw, 2, { actor: 'Someone Else' }));
    const { db } = openCase(file);
    try {
      expect(() => sealCase(db, path.join(dir, 'after-tamper.peregrine'), { signer: examiner, clock })).toThrow(/The custody chain was not signed: custody entry 2 \(collection\.started\)/);
    } finally {
      closeDatabase(db);
    }
    expect(fs.existsSync(path.join(dir, 'after-tamper.peregrine'))).toBe(false);
  });
});

describe('checkpoints signed with the key but not by Peregrine', () => {
  // Whoever holds the examiner key can sign any payload: these are what verify checks beyond the signature.
  type Payload = Record<string, unknown> & { seq: number; hashes: string[]; previous: string | null; caseId: string; signer: { identity: string; fingerprint: string; publicKey: string } };

  /** Checkpoint 1's payload as stored. */
  function firstPayload(): Payload {
    const raw = new BetterSqlite3(file, { readonly: true });
    try {
      return JSON.parse(raw.prepare('SELECT payload FROM custody_checkpoint WHERE id = 1').pluck().get() as string) as Payload;
    } finally {
      raw.close();
    }
  }

  /** Stores `text` signed by `key` (Ed25519 over its UTF-8 bytes) as checkpoint `id`, replacing any checkpoint with that id (CHECK constraints off, as with the sqlite3 shell). */
  function store(id: number, text: string, key: ExaminerKey = examiner): void {
    tamper((raw) => {
      raw.pragma('ignore_check_constraints = ON');
      raw.prepare('DELETE FROM custody_checkpoint WHERE id = ?').run(id);
      raw.prepare('INSERT INTO custody_checkpoint (id, payload, signature) VALUES (?, ?, ?)').run(id, text, sign(null, Buffer.from(text, 'utf8'), key.privateKey));
    });
  }

  it('name a checkpoint signed for another case', () => {
    const payload = firstPayload();
    store(1, canonicalize({ ...payload, caseId: '0a5e0000-4b0e-4a11-8a5e-0000000000ff' }));
    const caseId = payload.caseId;
    expect(verifyCaseFile(file).problems).toEqual([
      { where: 'custody_checkpoint 1', message: `It was signed for case 0a5e0000-4b0e-4a11-8a5e-0000000000ff, not this case (${caseId}).` },
    ]);
  });

  it('name a checkpoint whose public key is not the one its fingerprint names, or not 32 bytes', () => {
    const other = examinerKeyFrom(generateKeyPairSync('ed25519').privateKey, 'Jane Doe');
    const payload = firstPayload();
    store(1, canonicalize({ ...payload, signer: { ...payload.signer, publicKey: other.rawPublicKey.toString('base64') } }), other);
    const message = `Its public key does not have the fingerprint it names (${examiner.fingerprint}).`;
    expect(verifyCaseFile(file).problems).toEqual([{ where: 'custody_checkpoint 1', message }, expect.objectContaining({ where: 'custody entry 7 (case.sealed)' })]);
    store(1, canonicalize({ ...payload, signer: { ...payload.signer, publicKey: examiner.rawPublicKey.subarray(0, 31).toString('base64') } }));
    expect(verifyCaseFile(file).problems[0]).toEqual({ where: 'custody_checkpoint 1', message });
  });

  it('name a checkpoint that is not JSON or not a checkpoint', () => {
    const payload = firstPayload();
    store(1, '{"format":');
    expect(verifyCaseFile(file).problems[0]).toEqual({ where: 'custody_checkpoint 1', message: expect.stringMatching(/^It is not a peregrine-checkpoint\/1 checkpoint \(.*JSON.*\)\.$/) });
    store(1, canonicalize({ ...payload, format: 'peregrine-checkpoint/2' }));
    expect(verifyCaseFile(file).problems[0]).toEqual({ where: 'custody_checkpoint 1', message: expect.stringMatching(/^It is not a peregrine-checkpoint\/1 checkpoint \(field 'format': .*\)\.$/) });
  });

  it('refuse a payload that is not canonical JSON, even with a good signature over it', () => {
    store(1, JSON.stringify(firstPayload(), null, 1));
    expect(verifyCaseFile(file).problems[0]).toEqual({ where: 'custody_checkpoint 1', message: `Its signature by Jane Doe ${examiner.fingerprint} does not verify: the checkpoint was changed after it was signed.` });
  });

  it('name a first checkpoint that links to one before it', () => {
    store(1, canonicalize({ ...firstPayload(), previous: 'e'.repeat(64) }));
    expect(verifyCaseFile(file).problems).toEqual([{ where: 'custody_checkpoint 1', message: 'It follows a checkpoint that is no longer here: earlier signed checkpoints were deleted.' }]);
  });

  it('name a checkpoint that covers a range other than the one after the previous checkpoint', () => {
    const first = firstPayload();
    const raw = new BetterSqlite3(file, { readonly: true });
    const firstText = raw.prepare('SELECT payload FROM custody_checkpoint WHERE id = 1').pluck().get() as string;
    const hash8 = raw.prepare('SELECT hash FROM custody WHERE seq = 8').pluck().get() as string;
    raw.close();
    const previous = createHash('sha256').update(firstText).digest('hex');
    // Signs entry 8 only, but claims entries 7-8 (its hashes list holds two).
    store(2, canonicalize({ ...first, seq: 8, head: hash8, hashes: [first.hashes.at(-1)!, hash8], previous }));
    const report = verifyCaseFile(file);
    expect(report.problems).toEqual([
      { where: 'custody_checkpoint 2', message: 'It covers entries 7–8, but the previous checkpoint ended at entry 7.' },
    ]);
    expect(report.anchor).toMatchObject({ through: 8, of: 8, checkpoints: 2 });
  });
});

describe('signing a checkpoint', () => {
  it('refuses an entry other than the one it was asked to sign, or one before the last checkpoint', () => {
    const { db } = openCase(file);
    try {
      const hash = (seq: number) => db.prepare('SELECT hash FROM custody WHERE seq = ?').pluck().get(seq) as string;
      const at = '2024-05-01T12:00:00.000Z';
      expect(() => signCheckpoint(db, examiner, { at, reason: 'export', subject: 'x', through: { seq: 8, hash: hash(7) } }))
        .toThrow(expect.objectContaining({
          name: 'CheckpointError', code: 'custody_broken',
          message: 'The custody chain was not signed: custody entry 8: It is not the entry the checkpoint was asked to sign. Run `peregrine verify` on the case file.',
        }));
      expect(() => signCheckpoint(db, examiner, { at, reason: 'export', subject: 'x', through: { seq: 3, hash: hash(3) } }))
        .toThrow('custody entry 3: It is not the entry the checkpoint was asked to sign.');
      expect(db.prepare('SELECT count(*) FROM custody_checkpoint').pluck().get()).toBe(1);
      const signed = signCheckpoint(db, examiner, { at, reason: 'export', subject: 'x', through: { seq: 8, hash: hash(8) } });
      expect(signed).toMatchObject({ seq: 8, head: hash(8), hashes: [hash(8)], reason: 'export', subject: 'x', at });
    } finally {
      closeDatabase(db);
    }
    expect(verifyCaseFile(file).anchor).toMatchObject({ through: 8, of: 8, checkpoints: 2 });
  });

  it('refuses to sign newer entries that do not hash or link as recorded', () => {
    tamper((raw) => raw.exec(`UPDATE custody SET actor = 'Someone Else' WHERE seq = 8`));
    const { db } = openCase(file);
    try {
      expect(() => sealCase(db, path.join(dir, 'after-tamper.peregrine'), { signer: examiner, clock }))
        .toThrow('The custody chain was not signed: custody entry 8 (note.added): It does not hash or link as recorded.');
    } finally {
      closeDatabase(db);
    }
  });
});

describe('the anchor', () => {
  it('names every signer, the last one first, and says when every entry is signed or none is', () => {
    const other = examinerKeyFrom(generateKeyPairSync('ed25519').privateKey, 'John Roe');
    const { db } = openCase(file);
    sealCase(db, path.join(dir, 'second.peregrine'), { signer: other, clock });
    closeDatabase(db);
    const anchor = verifyCaseFile(file).anchor!;
    expect(anchor).toEqual({
      through: 9, of: 9, checkpoints: 2,
      signer: { identity: 'John Roe', fingerprint: other.fingerprint },
      signers: [{ identity: 'Jane Doe', fingerprint: examiner.fingerprint }, { identity: 'John Roe', fingerprint: other.fingerprint }],
    });
    expect(describeAnchor(anchor)).toBe(`custody anchored through entry 9 of 9 by John Roe ${other.fingerprint} (earlier checkpoints also by Jane Doe ${examiner.fingerprint}); every entry is signed`);
    tamper((raw) => raw.exec('DELETE FROM custody_checkpoint'));
    const none = verifyCaseFile(file).anchor!;
    expect(none).toEqual({ through: 0, of: 9, checkpoints: 0, signer: null, signers: [] });
    expect(describeAnchor(none)).toBe('custody not anchored: no checkpoint is signed yet (every export and `peregrine case seal` signs one), 9 entries unsigned');
  });

  it('does not count a checkpoint whose signature fails as an anchor', () => {
    tamper((raw) => raw.prepare(`UPDATE custody_checkpoint SET payload = replace(payload, '"reason":"seal"', '"reason":"export"') WHERE id = 1`).run());
    const anchor = verifyCaseFile(file).anchor!;
    expect(anchor).toEqual({ through: 0, of: 8, checkpoints: 1, signer: null, signers: [] });
    expect(describeAnchor(anchor)).toBe('custody not anchored: no checkpoint is signed yet (every export and `peregrine case seal` signs one), 8 entries unsigned');
  });

  it('names an export entry whose signed checkpoint is gone; an export entry naming none promises none', () => {
    const { db } = openCase(file);
    appendCustody(db, { at: clock().toISOString(), action: 'export.created', actor: 'Jane Doe', details: { folder: 'old-export' } });
    appendCustody(db, { at: clock().toISOString(), action: 'export.created', actor: 'Jane Doe', details: { folder: 'new-export', checkpointThrough: 7 } });
    closeDatabase(db);
    // Checkpoint 1 signs through entry 7, but for the seal, not for an export.
    expect(verifyCaseFile(file).problems).toEqual([
      { where: 'custody entry 10 (export.created)', message: 'It records an export signed through entry 7, but that signed checkpoint is not here: it was deleted.' },
    ]);
  });

  it('does not ask a case file from before checkpoints (schema version below 140) for their table', () => {
    const raw = new BetterSqlite3(file);
    raw.exec('DROP TABLE custody_checkpoint');
    raw.pragma('user_version = 139');
    const problems: string[] = [];
    const anchor = checkCheckpoints(raw, (where) => problems.push(where));
    raw.pragma('user_version = 140');
    const problems140: string[] = [];
    checkCheckpoints(raw, (where) => problems140.push(where));
    raw.close();
    expect(anchor).toEqual({ through: 0, of: 8, checkpoints: 0, signer: null, signers: [] });
    expect(problems).toEqual(['custody entry 7 (case.sealed)']);
    expect(problems140).toEqual(['custody_checkpoint', 'custody entry 7 (case.sealed)']);
  });
});
