// Any Node process that opens a case file (main, workers, CLI): open/create with the house pragmas and migrations.
import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import { CaseFileError } from './errors';
import { latestSchemaVersion, migrate, newerSchemaError, recordedToolVersion, schemaVersion, type MigrationOutcome } from './migrate';
import { PEREGRINE_APPLICATION_ID } from './migrations';

export type { Database } from 'better-sqlite3';
export { CaseFileError } from './errors';

export interface OpenOptions {
  /** true: make a new case file (refused if anything exists at the path); false: open an existing one. */
  create: boolean;
  /** Open without writing anything: no migrations, no journal-mode change (used by verify). */
  readonly?: boolean;
  /** Recorded with each migration applied. */
  toolVersion?: string | null;
  /** Told what the migration runner did (e.g. so the caller can log a schema upgrade in custody). */
  onMigrated?: (outcome: MigrationOutcome) => void;
  /**
   * Keep the journal mode the file is in instead of switching to WAL: a closed case (rollback journal) then stays
   * byte for byte as it was when a write is rolled back (an import refused), since switching to WAL and back bumps
   * the file's change counter. A file another connection holds in WAL stays in WAL.
   */
  keepJournalMode?: boolean;
}

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

/**
 * Opens (or creates) a case file. Sets WAL, foreign keys and a 5 s busy timeout, then migrates.
 * Every refusal is a CaseFileError whose message names the file and says what to do.
 */
export function openDatabase(file: string, opts: OpenOptions): Database {
  const fileName = path.basename(file);
  const readonly = opts.readonly === true;
  if (opts.create && readonly) {
    throw new CaseFileError('invalid_input', `${fileName}: a case file cannot be created read-only.`, file);
  }
  if (opts.create) createEmptyFile(file, fileName);
  else checkLooksLikeSqlite(file, fileName);

  let db: Database;
  try {
    db = new BetterSqlite3(file, { readonly, fileMustExist: true });
  } catch (err) {
    if (opts.create) removeCaseFiles(file);
    throw translate(err, file, fileName);
  }
  try {
    db.pragma('busy_timeout = 5000');
    if (!opts.create) checkIsCase(db, file, fileName);
    if (readonly) {
      db.pragma('query_only = ON');
    } else if (!opts.keepJournalMode) {
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') {
        throw new CaseFileError(
          'unreadable',
          `${fileName} could not be switched to WAL mode (got '${String(mode)}'). Move the case file to a local folder you can write to.`,
          file,
        );
      }
    }
    db.pragma('foreign_keys = ON');
    // 64 MiB of page cache (SQLite's default is 2 MiB): a collection inserts records keyed by random GUIDs into indexes
    // that grow to hundreds of megabytes, and a small cache turns each insert into reads from disk.
    db.pragma('cache_size = -65536');
    if (!readonly) {
      const outcome = migrate(db, { toolVersion: opts.toolVersion ?? null, fileName });
      opts.onMigrated?.(outcome);
    }
    return db;
  } catch (err) {
    db.close();
    if (opts.create) removeCaseFiles(file);
    throw translate(err, file, fileName);
  }
}

/**
 * Checkpoints the WAL into the main file and closes. Also returns the file to rollback-journal mode
 * so the closed case is one self-contained file (readable from read-only media, safe to copy);
 * that step is skipped when another connection still has it open.
 */
export function closeDatabase(db: Database): void {
  if (!db.open) return;
  if (!db.readonly) {
    try {
      db.pragma('wal_checkpoint(TRUNCATE)');
      db.pragma('journal_mode = DELETE');
    } catch {
      // Busy: another connection is open. SQLite checkpoints when the last connection closes.
    }
  }
  db.close();
}

function createEmptyFile(file: string, fileName: string): void {
  // A leftover -wal beside a new empty file would be replayed into it: refuse rather than guess.
  for (const sidecar of [`${file}-wal`, `${file}-shm`, `${file}-journal`]) {
    if (fs.existsSync(sidecar)) {
      throw new CaseFileError(
        'exists',
        `${fileName} cannot be created: a leftover journal (${path.basename(sidecar)}) from an earlier case file is in the folder. Choose another name or folder.`,
        file,
      );
    }
  }
  try {
    // 'wx' is an exclusive create: never replaces a case (or anything else) already at the path.
    fs.closeSync(fs.openSync(file, 'wx', 0o600));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      throw new CaseFileError('exists', `${fileName} already exists. Choose another name, or open the existing case instead.`, file);
    }
    if (code === 'ENOENT') {
      throw new CaseFileError('not_found', `${fileName} cannot be created: its folder does not exist. Choose an existing folder.`, file);
    }
    throw new CaseFileError('unreadable', `${fileName} cannot be created (${code ?? String(err)}). Choose a folder you can write to.`, file, { cause: err });
  }
}

function checkLooksLikeSqlite(file: string, fileName: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new CaseFileError('not_found', `${fileName} does not exist. Check the name and folder, or create a new case.`, file);
    }
    throw new CaseFileError('unreadable', `${fileName} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)}).`, file, { cause: err });
  }
  if (!stat.isFile()) {
    throw new CaseFileError('not_sqlite', `${fileName} is not a file. Choose a .peregrine case file.`, file);
  }
  if (stat.size === 0) {
    throw new CaseFileError(
      'not_a_case',
      `${fileName} is empty (0 bytes): it holds no case. If Peregrine stopped while creating it, delete it and create the case again; otherwise choose a .peregrine file created by Peregrine.`,
      file,
    );
  }
  const header = Buffer.alloc(SQLITE_HEADER.length);
  const fd = fs.openSync(file, 'r');
  try {
    fs.readSync(fd, header, 0, header.length, 0);
  } finally {
    fs.closeSync(fd);
  }
  if (!header.equals(SQLITE_HEADER)) {
    throw new CaseFileError(
      'not_sqlite',
      `${fileName} is not a Peregrine case file (it is not an SQLite database). Choose a .peregrine file created by Peregrine.`,
      file,
    );
  }
}

function checkIsCase(db: Database, file: string, fileName: string): void {
  const applicationId = db.pragma('application_id', { simple: true });
  if (applicationId !== PEREGRINE_APPLICATION_ID) throw notACase(file, fileName);
  const version = schemaVersion(db);
  const known = latestSchemaVersion();
  if (version === 0) {
    throw new CaseFileError('damaged', `${fileName} is marked as a Peregrine case file but has no schema. It is damaged: use a copy.`, file);
  }
  if (version > known) {
    const err = newerSchemaError(fileName, version, known, recordedToolVersion(db));
    throw new CaseFileError(err.code, err.message, file);
  }
}

function notACase(file: string, fileName: string): CaseFileError {
  return new CaseFileError(
    'not_a_case',
    `${fileName} is an SQLite database but not a Peregrine case file. Choose a .peregrine file created by Peregrine.`,
    file,
  );
}

function translate(err: unknown, file: string, fileName: string): Error {
  if (err instanceof CaseFileError) return err.file ? err : new CaseFileError(err.code, err.message, file, { cause: err });
  if (err instanceof BetterSqlite3.SqliteError) {
    if (err.code === 'SQLITE_NOTADB') {
      return new CaseFileError('not_sqlite', `${fileName} is not a Peregrine case file (SQLite cannot read it). Choose a .peregrine file created by Peregrine.`, file, { cause: err });
    }
    if (err.code.startsWith('SQLITE_CORRUPT')) {
      return new CaseFileError('damaged', `${fileName} is damaged (${err.message}). Use a copy or the handover file.`, file, { cause: err });
    }
    if (err.code.startsWith('SQLITE_READONLY') || err.code.startsWith('SQLITE_CANTOPEN') || err.code.startsWith('SQLITE_PERM')) {
      return new CaseFileError('unreadable', `${fileName} cannot be opened (${err.code}). Copy it to a local folder you can write to; if Peregrine stopped while it was open, open it once in Peregrine to recover it.`, file, { cause: err });
    }
  }
  return err instanceof Error ? err : new Error(String(err));
}

/** Only for a file this module just created: never touches an existing case. */
function removeCaseFiles(file: string): void {
  for (const f of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) fs.rmSync(f, { force: true });
}
