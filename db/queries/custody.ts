// Any process with a case file open: the append-only, hash-chained custody log.
import { createHash } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { canonicalize } from 'json-canonicalize';
import { CaseFileError } from '../errors';
import type { JsonObject } from '../json';

export type CustodyDetails = JsonObject;

export interface CustodyEntry {
  seq: number;
  at: string;
  /** Dotted verb, e.g. 'case.created', 'collection.started', 'collection.finished', 'export.created'. */
  action: string;
  /** Who did it: the examiner's name or UPN, or 'peregrine <version>' for the tool itself. */
  actor: string;
  details: CustodyDetails;
  prevHash: string;
  hash: string;
}

/** prev_hash of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** sha256 hex of the RFC 8785 canonical JSON of {seq, at, action, actor, details, prevHash}. */
export function custodyHash(entry: Omit<CustodyEntry, 'hash'>): string {
  const { seq, at, action, actor, details, prevHash } = entry;
  return createHash('sha256').update(canonicalize({ seq, at, action, actor, details, prevHash }), 'utf8').digest('hex');
}

/** A custody row as stored (snake_case), for readers that check the chain without the query helpers. */
export interface CustodyColumns {
  seq: number;
  at: string;
  action: string;
  actor: string;
  details: string;
  prev_hash: string;
  hash: string;
}

const toEntry = (r: CustodyColumns): CustodyEntry => ({
  seq: r.seq,
  at: r.at,
  action: r.action,
  actor: r.actor,
  details: JSON.parse(r.details) as CustodyDetails,
  prevHash: r.prev_hash,
  hash: r.hash,
});

/**
 * Appends one entry linked to the current head. Runs in an IMMEDIATE transaction so two writers
 * cannot both link to the same head (the custody_checkLink trigger would refuse the second anyway).
 */
export function appendCustody(
  db: Database,
  entry: { at: string; action: string; actor: string; details: CustodyDetails },
): CustodyEntry {
  if (Number.isNaN(Date.parse(entry.at))) {
    throw new CaseFileError('invalid_input', `Custody time '${entry.at}' is not an ISO 8601 date-time.`);
  }
  if (!entry.action.trim() || !entry.actor.trim()) {
    throw new CaseFileError('invalid_input', 'A custody entry needs an action and an actor.');
  }
  // Round-trip through JSON so what is hashed now is exactly what verify will parse back later
  // (drops undefined, turns Dates into strings).
  const details = JSON.parse(JSON.stringify(entry.details)) as CustodyDetails;
  return db
    .transaction((): CustodyEntry => {
      const last = db.prepare('SELECT seq, hash FROM custody ORDER BY seq DESC LIMIT 1').get() as
        | { seq: number; hash: string }
        | undefined;
      const unsigned = {
        seq: (last?.seq ?? 0) + 1,
        at: entry.at,
        action: entry.action,
        actor: entry.actor,
        details,
        prevHash: last?.hash ?? GENESIS_HASH,
      };
      const hash = custodyHash(unsigned);
      db.prepare(
        `INSERT INTO custody (seq, at, action, actor, details, prev_hash, hash)
         VALUES (@seq, @at, @action, @actor, @details, @prevHash, @hash)`,
      ).run({ ...unsigned, details: canonicalize(details), hash });
      return { ...unsigned, hash };
    })
    .immediate();
}

/** Oldest first. */
export function listCustody(db: Database): CustodyEntry[] {
  return (db.prepare('SELECT * FROM custody ORDER BY seq').all() as CustodyColumns[]).map(toEntry);
}

/** Hash of the last entry, or null for an empty log. */
export function custodyHead(db: Database): string | null {
  return (db.prepare('SELECT hash FROM custody ORDER BY seq DESC LIMIT 1').pluck().get() as string | undefined) ?? null;
}

export function custodyCount(db: Database): number {
  return db.prepare('SELECT count(*) FROM custody').pluck().get() as number;
}
