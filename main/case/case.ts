// Main process (and CLI): create and open case files, answering the contract's CaseSummary.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Database } from 'better-sqlite3';
import { SINGLE_LINE, SINGLE_LINE_MESSAGE, type CaseSummary } from '../../preload/contract';
import { closeDatabase, openDatabase } from '../../db/connection';
import { CaseFileError } from '../../db/errors';
import { latestSchemaVersion, schemaVersion, type MigrationOutcome } from '../../db/migrate';
import { getCaseMeta, insertCaseMeta } from '../../db/queries/caseMeta';
import { appendCustody } from '../../db/queries/custody';

export interface NewCase {
  name: string;
  examiner: string;
  client?: string | null;
  reference?: string | null;
  /** IANA time zone for display; defaults to UTC. */
  timeZone?: string | null;
}

export interface OpenCase {
  db: Database;
  summary: CaseSummary;
}

/** Optional: without a clock, a schema upgrade on open is recorded in schema_migration only. */
export interface OpenCaseDeps {
  clock?: () => Date;
  toolVersion?: string;
  /**
   * Nothing will be written (case info, detect, IOC files): open the file read-only, so a case on read-only media or
   * without write permission can still be read. Only a file that needs a schema upgrade is then opened for writing.
   */
  readonly?: boolean;
  /** Keep the file's journal mode (see OpenOptions.keepJournalMode): an import refused leaves the file byte-identical. */
  keepJournalMode?: boolean;
}

const blankToNull = (v: string | null | undefined): string | null => (v && v.trim() ? v.trim() : null);

function checkTimeZone(zone: string, file: string): string {
  try {
    // Canonical spelling (e.g. 'europe/paris' → 'Europe/Paris'); throws RangeError for an unknown zone.
    return new Intl.DateTimeFormat('en', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    throw new CaseFileError('invalid_input', `'${zone}' is not a time zone Peregrine knows. Use an IANA name such as Europe/Paris, or UTC.`, file);
  }
}

/** A new case file at `file` (refused if anything is there), with its identity and first custody entry. */
export function createCase(
  file: string,
  meta: NewCase,
  deps: { clock: () => Date; toolVersion: string; /** Fixed only for reproducible fixtures; a new random id otherwise. */ caseId?: string },
): OpenCase {
  const name = meta.name.trim();
  const examiner = meta.examiner.trim();
  if (!name || !examiner) {
    throw new CaseFileError('invalid_input', 'A case needs a name and an examiner.', file);
  }
  // Checked here, where every transport ends: a line break in the examiner's name would be written into custody
  // and then refused by every export that must sign it.
  for (const [field, value] of [['name', meta.name], ['examiner', meta.examiner], ['client', meta.client], ['reference', meta.reference], ['time zone', meta.timeZone]] as const) {
    if (value && !SINGLE_LINE.test(value.trim())) {
      throw new CaseFileError('invalid_input', `The case ${field} ${SINGLE_LINE_MESSAGE}.`, file);
    }
  }
  if (deps.caseId !== undefined && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(deps.caseId)) {
    throw new CaseFileError('invalid_input', `The case id "${deps.caseId}" is not a lowercase UUID.`, file);
  }
  const timeZone = checkTimeZone(blankToNull(meta.timeZone) ?? 'UTC', file);
  const db = openDatabase(file, { create: true, toolVersion: deps.toolVersion });
  try {
    const createdAt = deps.clock().toISOString();
    const caseMeta = {
      caseId: deps.caseId ?? randomUUID(),
      name,
      client: blankToNull(meta.client),
      examiner,
      reference: blankToNull(meta.reference),
      timeZone,
      createdAt,
      toolVersion: deps.toolVersion,
    };
    db.transaction(() => {
      insertCaseMeta(db, caseMeta);
      appendCustody(db, {
        at: createdAt,
        action: 'case.created',
        actor: examiner,
        details: {
          caseId: caseMeta.caseId,
          name,
          client: caseMeta.client,
          reference: caseMeta.reference,
          timeZone,
          fileName: path.basename(file),
          toolVersion: deps.toolVersion,
          schemaVersion: schemaVersion(db),
        },
      });
    })();
    return { db, summary: summarize(db, file) };
  } catch (err) {
    closeDatabase(db);
    removeHalfCreated(file);
    throw err;
  }
}

/**
 * Opens an existing case file (migrating it if it is older). A schema upgrade changes the file, so
 * it is logged in custody when a clock is given.
 */
export function openCase(file: string, deps: OpenCaseDeps = {}): OpenCase {
  if (deps.readonly) {
    const db = openDatabase(file, { create: false, readonly: true });
    if (schemaVersion(db) === latestSchemaVersion()) {
      try {
        return { db, summary: summarize(db, file) };
      } catch (err) {
        closeDatabase(db);
        throw err;
      }
    }
    closeDatabase(db);
    if (!writable(file)) {
      throw new CaseFileError(
        'unreadable',
        `${path.basename(file)} was written by an older Peregrine and must be upgraded before this version can read it, but it is read-only. Copy it to a folder you can write to and open the copy.`,
        file,
      );
    }
  }
  let migrated: MigrationOutcome | null = null;
  const db = openDatabase(file, {
    create: false,
    toolVersion: deps.toolVersion ?? null,
    keepJournalMode: deps.keepJournalMode === true,
    onMigrated: (outcome) => {
      migrated = outcome;
    },
  });
  try {
    const summary = summarize(db, file);
    const outcome = migrated as MigrationOutcome | null;
    if (outcome && outcome.applied.length > 0 && deps.clock) {
      appendCustody(db, {
        at: deps.clock().toISOString(),
        action: 'case.schema-upgraded',
        actor: `peregrine ${deps.toolVersion ?? '(unknown version)'}`,
        details: { from: outcome.from, to: outcome.to, applied: outcome.applied },
      });
    }
    return { db, summary };
  } catch (err) {
    closeDatabase(db);
    throw err;
  }
}

/** The contract's CaseSummary for an open case. File name only: the renderer never sees paths. */
export function summarize(db: Database, file: string): CaseSummary {
  const meta = getCaseMeta(db);
  return {
    caseId: meta.caseId,
    name: meta.name,
    client: meta.client,
    examiner: meta.examiner,
    reference: meta.reference,
    timeZone: meta.timeZone,
    createdAt: meta.createdAt,
    fileName: path.basename(file),
    schemaVersion: schemaVersion(db),
  };
}

function writable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.W_OK);
    fs.accessSync(path.dirname(file), fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function removeHalfCreated(file: string): void {
  // Only ever called for a file createCase itself just made (openDatabase refuses an existing path).
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      fs.rmSync(f, { force: true });
    } catch {
      // best effort: the error that brought us here is the one to report
    }
  }
}
