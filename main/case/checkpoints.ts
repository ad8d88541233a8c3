// Main process, workers and CLI: the examiner's signed checkpoints over the custody chain (written at export and
// `case seal`, checked by `verify`), so that truncating or rewriting custody entries before one is detected.
import { sign, verify } from 'node:crypto';
import { sha256Hex } from '../../db/queries/evidence';
import type { Database } from 'better-sqlite3';
import { canonicalize } from 'json-canonicalize';
import { z } from 'zod';
import { getCaseMeta } from '../../db/queries/caseMeta';
import { custodyHash, GENESIS_HASH, type CustodyColumns, type CustodyDetails } from '../../db/queries/custody';
import type { ExaminerKey } from '../sign/keys';
import { pinnedKeys, type SignerPin } from '../sign/pin';
import { sshFingerprint } from '../sign/wire';

export const CHECKPOINT_FORMAT = 'peregrine-checkpoint/1';
/** The migration that added custody_checkpoint. */
const CHECKPOINT_SCHEMA_VERSION = 140;

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);

/** What the examiner signs: RFC 8785 canonical JSON of this object. */
export const CheckpointPayload = z.strictObject({
  format: z.literal(CHECKPOINT_FORMAT),
  caseId: z.string(),
  /** The chain is signed up to and including this entry. */
  seq: z.number().int().nonnegative(),
  /** That entry's hash (64 zeros for an empty chain). */
  head: hex64,
  /** The hashes of entries previous.seq+1 … seq, in order: a rewritten entry is named, not only "something before N". */
  hashes: z.array(hex64),
  /** sha256 of the previous checkpoint's payload; null for the first. A removed checkpoint breaks this link. */
  previous: hex64.nullable(),
  at: z.string(),
  reason: z.enum(['export', 'seal']),
  /** What the checkpoint was made for: the export folder or sealed file name. */
  subject: z.string(),
  signer: z.strictObject({ identity: z.string(), fingerprint: z.string(), publicKey: z.string() }),
});
export type CheckpointPayload = z.infer<typeof CheckpointPayload>;

export interface SignerSeen {
  identity: string;
  fingerprint: string;
}

/** How far the custody chain is signed, for verify's report. */
export interface CustodyAnchor {
  /** Entries 1…through are covered by a valid checkpoint (0: none). */
  through: number;
  /** Entries in the chain. */
  of: number;
  checkpoints: number;
  /** The signer of the last checkpoint (the one that anchors `through`). */
  signer: SignerSeen | null;
  /** Every distinct signer of the checkpoints, in order of first appearance. */
  signers: SignerSeen[];
}

export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
  readonly code = 'custody_broken';
}


interface StoredCheckpoint {
  id: number;
  payload: string;
  signature: Buffer;
}

const hasCheckpointTable = (db: Database) =>
  db.prepare(`SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'custody_checkpoint'`).get() !== undefined;

/**
 * Signs the chain up to its current head (or `through`, an earlier entry such as the head an export's manifest
 * names) and stores the checkpoint. Call it inside the transaction that records what it is for. Refuses to sign a
 * chain that already disagrees with an earlier checkpoint or whose newer entries do not hash and link.
 */
export function signCheckpoint(
  db: Database,
  signer: ExaminerKey,
  args: { at: string; reason: 'export' | 'seal'; subject: string; through?: { seq: number; hash: string } },
): CheckpointPayload {
  const rows = db.prepare('SELECT seq, at, action, actor, details, prev_hash, hash FROM custody ORDER BY seq').all() as CustodyColumns[];
  const problems: { where: string; message: string }[] = [];
  const previous = readCheckpoints(db, rows, (where, message) => problems.push({ where, message }), null);
  const from = previous.through;
  const through = args.through ?? { seq: rows.at(-1)?.seq ?? 0, hash: rows.at(-1)?.hash ?? GENESIS_HASH };
  let link = from === 0 ? GENESIS_HASH : rows[from - 1]?.hash;
  for (const row of rows.slice(from, through.seq)) {
    const details = JSON.parse(row.details) as CustodyDetails;
    const computed = custodyHash({ seq: row.seq, at: row.at, action: row.action, actor: row.actor, details, prevHash: row.prev_hash });
    if (row.prev_hash !== link || computed !== row.hash) problems.push({ where: `custody entry ${row.seq} (${row.action})`, message: 'It does not hash or link as recorded.' });
    link = row.hash;
  }
  if (through.seq < from || rows[through.seq - 1]?.hash !== (through.seq === 0 ? undefined : through.hash)) {
    problems.push({ where: `custody entry ${through.seq}`, message: 'It is not the entry the checkpoint was asked to sign.' });
  }
  if (problems.length > 0) {
    const first = problems[0]!;
    throw new CheckpointError(`The custody chain was not signed: ${first.where}: ${first.message} Run \`peregrine verify\` on the case file.`);
  }
  const payload: CheckpointPayload = {
    format: CHECKPOINT_FORMAT,
    caseId: getCaseMeta(db).caseId,
    seq: through.seq,
    head: through.seq === 0 ? GENESIS_HASH : through.hash,
    hashes: rows.slice(from, through.seq).map((r) => r.hash),
    previous: previous.lastPayload === null ? null : sha256Hex(previous.lastPayload),
    at: args.at,
    reason: args.reason,
    subject: args.subject,
    signer: { identity: signer.identity, fingerprint: signer.fingerprint, publicKey: signer.rawPublicKey.toString('base64') },
  };
  const text = canonicalize(payload);
  const signature = sign(null, Buffer.from(text, 'utf8'), signer.privateKey);
  db.prepare('INSERT INTO custody_checkpoint (payload, signature) VALUES (?, ?)').run(text, signature);
  return payload;
}

/**
 * Checks every checkpoint (signature, link to the previous one, that each hash it signed is still the stored hash
 * of that entry) and, with a pin, that each was signed by a pinned key. Problems name the custody entry or
 * checkpoint. Returns how far the chain is anchored.
 */
export function checkCheckpoints(db: Database, add: (where: string, message: string) => void, pin: SignerPin | null = null): CustodyAnchor {
  const rows = db.prepare('SELECT seq, action, hash FROM custody ORDER BY seq').all() as Pick<CustodyColumns, 'seq' | 'action' | 'hash'>[];
  if (!hasCheckpointTable(db) && (db.pragma('user_version', { simple: true }) as number) >= CHECKPOINT_SCHEMA_VERSION) {
    add('custody_checkpoint', 'The table of signed checkpoints is missing from a case file whose schema has it: it was dropped outside Peregrine.');
  }
  const result = readCheckpoints(db, rows, add, pin);
  checkPromisedCheckpoints(db, result.valid, add);
  if (pin && result.checkpoints === 0) {
    add('custody_checkpoint', `No checkpoint is signed, so nothing in this case file is signed by ${pinnedKeys(pin)}.`);
  }
  return { through: result.through, of: rows.length, checkpoints: result.checkpoints, signer: result.signers.at(-1) ?? null, signers: result.distinct };
}

function readCheckpoints(
  db: Database,
  rows: Pick<CustodyColumns, 'seq' | 'action' | 'hash'>[],
  add: (where: string, message: string) => void,
  pin: SignerPin | null,
): { through: number; checkpoints: number; lastPayload: string | null; signers: SignerSeen[]; distinct: SignerSeen[]; valid: CheckpointPayload[] } {
  const out = { through: 0, checkpoints: 0, lastPayload: null as string | null, signers: [] as SignerSeen[], distinct: [] as SignerSeen[], valid: [] as CheckpointPayload[] };
  if (!hasCheckpointTable(db)) return out;
  const caseId = (db.prepare('SELECT case_id FROM case_meta').pluck().get() as string | undefined) ?? '';
  const bySeq = (seq: number) => rows[seq - 1]?.seq === seq ? rows[seq - 1] : rows.find((r) => r.seq === seq);
  const entryName = (seq: number) => {
    const row = bySeq(seq);
    return row ? `custody entry ${seq} (${row.action})` : `custody entry ${seq}`;
  };
  let previousText: string | null = null;
  let previousSeq = 0;
  for (const stored of db.prepare('SELECT id, payload, signature FROM custody_checkpoint ORDER BY id').iterate() as IterableIterator<StoredCheckpoint>) {
    out.checkpoints += 1;
    const where = `custody_checkpoint ${stored.id}`;
    if (stored.id !== out.checkpoints) add(where, `Checkpoints ${out.checkpoints}–${stored.id - 1} are missing: signed checkpoints were deleted.`);
    let payload: CheckpointPayload;
    try {
      const parsed = CheckpointPayload.safeParse(JSON.parse(stored.payload));
      if (!parsed.success) throw new Error(`field '${parsed.error.issues[0]?.path.join('.') ?? '?'}': ${parsed.error.issues[0]?.message ?? 'invalid'}`);
      payload = parsed.data;
    } catch (err) {
      add(where, `It is not a ${CHECKPOINT_FORMAT} checkpoint (${(err as Error).message}).`);
      continue;
    }
    const signer = { identity: payload.signer.identity, fingerprint: payload.signer.fingerprint };
    const rawKey = Buffer.from(payload.signer.publicKey, 'base64');
    const signedBy = `${signer.identity} ${signer.fingerprint}`;
    // The next checkpoint links to this one as stored, even when this one fails: one broken checkpoint is one problem.
    const linkedText = previousText;
    previousText = stored.payload;
    const linkedSeq = previousSeq;
    previousSeq = payload.seq;
    if (rawKey.length !== 32 || sshFingerprint(rawKey) !== payload.signer.fingerprint) {
      add(where, `Its public key does not have the fingerprint it names (${payload.signer.fingerprint}).`);
      continue;
    }
    if (!signatureVerifies(stored, rawKey)) {
      add(where, `Its signature by ${signedBy} does not verify: the checkpoint was changed after it was signed.`);
      continue;
    }
    if (pin && !pin.fingerprints.has(signer.fingerprint)) {
      add(where, `It is signed by ${signedBy}, not by ${pinnedKeys(pin)}.`);
    }
    if (payload.caseId !== caseId) add(where, `It was signed for case ${payload.caseId}, not this case (${caseId}).`);
    const expectedPrevious = linkedText === null ? null : sha256Hex(linkedText);
    if (payload.previous !== expectedPrevious) {
      add(where, linkedText === null
        ? 'It follows a checkpoint that is no longer here: earlier signed checkpoints were deleted.'
        : `It does not follow checkpoint ${stored.id - 1}: a checkpoint between them was deleted or replaced.`);
    }
    const from = payload.seq - payload.hashes.length;
    if (from !== linkedSeq && payload.previous === expectedPrevious) {
      add(where, `It covers entries ${from + 1}–${payload.seq}, but the previous checkpoint ended at entry ${linkedSeq}.`);
    }
    // Each entry the examiner signed must still be there with the hash that was signed.
    const last = rows.at(-1)?.seq ?? 0;
    if (payload.seq > last) {
      const missingFrom = Math.max(last + 1, from + 1);
      add(
        entryName(payload.seq),
        `Custody ${missingFrom === payload.seq ? `entry ${payload.seq} is` : `entries ${missingFrom}–${payload.seq} are`} missing, but checkpoint ${stored.id} signed by ${signedBy} at ${payload.at} covers the chain through entry ${payload.seq}${rows.length === 0 ? ' and the custody log is empty' : `; the log now ends at entry ${last}`}: custody entries were deleted.`,
      );
    }
    payload.hashes.forEach((signedHash, i) => {
      const seq = from + 1 + i;
      const row = bySeq(seq);
      if (row && row.hash !== signedHash) {
        add(entryName(seq), `Its hash is ${row.hash}, but checkpoint ${stored.id} signed by ${signedBy} at ${payload.at} recorded ${signedHash}: this entry (or one before it) was rewritten after it was signed.`);
      }
    });
    out.through = Math.max(out.through, Math.min(payload.seq, last));
    out.signers.push(signer);
    out.valid.push(payload);
    if (!out.distinct.some((s) => s.fingerprint === signer.fingerprint)) out.distinct.push(signer);
  }
  out.lastPayload = previousText;
  return out;
}

/**
 * Every 'case.sealed' entry, and every 'export.created' entry that names the checkpoint it was signed with, promises
 * a checkpoint: deleting checkpoints while keeping those entries is named by entry. (Exports made before checkpoints
 * existed name none.)
 */
function checkPromisedCheckpoints(db: Database, valid: CheckpointPayload[], add: (where: string, message: string) => void): void {
  const entries = db.prepare(`SELECT seq, action, details FROM custody WHERE action IN ('export.created', 'case.sealed') ORDER BY seq`).all() as Pick<CustodyColumns, 'seq' | 'action' | 'details'>[];
  for (const entry of entries) {
    let details: CustodyDetails;
    try {
      details = JSON.parse(entry.details) as CustodyDetails;
    } catch {
      continue; // the chain check names an entry whose details do not parse
    }
    const where = `custody entry ${entry.seq} (${entry.action})`;
    if (entry.action === 'case.sealed' && !valid.some((c) => c.reason === 'seal' && c.seq >= entry.seq)) {
      add(where, `It records a seal into ${String(details.file)}, but no signed checkpoint covers it: the checkpoint was deleted.`);
    }
    const through = details.checkpointThrough;
    if (entry.action === 'export.created' && typeof through === 'number' && !valid.some((c) => c.reason === 'export' && c.seq === through)) {
      add(where, `It records an export signed through entry ${through}, but that signed checkpoint is not here: it was deleted.`);
    }
  }
}

/** The payload is canonical as stored and its Ed25519 signature verifies with the key it names. */
function signatureVerifies(stored: StoredCheckpoint, rawKey: Buffer): boolean {
  try {
    const key = { key: { kty: 'OKP', crv: 'Ed25519', x: rawKey.toString('base64url') }, format: 'jwk' as const };
    return canonicalize(JSON.parse(stored.payload)) === stored.payload && verify(null, Buffer.from(stored.payload, 'utf8'), key, stored.signature);
  } catch {
    return false;
  }
}

/** "custody anchored through entry N of M by <who> SHA256:…; entries after N are not yet signed". */
export function describeAnchor(anchor: CustodyAnchor): string {
  if (anchor.checkpoints === 0 || !anchor.signer) {
    return `custody not anchored: no checkpoint is signed yet (every export and \`peregrine case seal\` signs one), ${anchor.of} entries unsigned`;
  }
  const others = anchor.signers.filter((s) => s.fingerprint !== anchor.signer!.fingerprint);
  const by = `${anchor.signer.identity} ${anchor.signer.fingerprint}${others.length ? ` (earlier checkpoints also by ${others.map((s) => `${s.identity} ${s.fingerprint}`).join(', ')})` : ''}`;
  const tail = anchor.through < anchor.of ? `; entries after ${anchor.through} are not yet signed` : '; every entry is signed';
  return `custody anchored through entry ${anchor.through} of ${anchor.of} by ${by}${tail}`;
}
