// Any process opening a case file: applies the numbered migrations and refuses a schema from the future.
import type { Database } from 'better-sqlite3';
import { CaseFileError } from './errors';
import { TOOL_VERSION } from '../main/version';
import { migrations as knownMigrations, type Migration } from './migrations';

export interface MigrationOutcome {
  /** user_version before and after. */
  from: number;
  to: number;
  /** Versions applied by this call, in order (empty when already current). */
  applied: number[];
}

export interface MigrateOptions {
  /** Recorded in schema_migration so an older Peregrine can say which version it needs. */
  toolVersion?: string | null;
  /** Tests only: a different list. */
  migrations?: readonly Migration[];
  /** Base name of the file, for messages. */
  fileName?: string;
}

export function latestSchemaVersion(list: readonly Migration[] = knownMigrations): number {
  return list.at(-1)?.version ?? 0;
}

export function schemaVersion(db: Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Throws unless versions are positive integers, strictly increasing. A build error in practice. */
export function checkMigrationList(list: readonly Migration[]): void {
  let previous = 0;
  for (const m of list) {
    if (!Number.isInteger(m.version) || m.version <= previous) {
      throw new Error(
        `Migration list is out of order: version ${m.version} (${m.name}) follows ${previous}. ` +
          'Versions must be positive integers, strictly increasing.',
      );
    }
    previous = m.version;
  }
}

/** The message for a case file written by a newer Peregrine; `writtenBy` is that version if recorded. */
export function newerSchemaError(fileName: string, found: number, known: number, writtenBy: string | null, running: string = TOOL_VERSION): CaseFileError {
  // Name a version to install only if it is newer than this one: "open it with 0.1.0 or later" while running 0.1.0 helps no one.
  const needed = writtenBy && compareVersions(writtenBy, running) > 0 ? `Peregrine ${writtenBy} or later` : `a Peregrine newer than ${running}`;
  return new CaseFileError(
    'newer_schema',
    `${fileName} was written by a newer Peregrine: its schema is ${found}, and this Peregrine (${running}) reads schemas up to ${known}. ` +
      `Open it with ${needed}. The file has not been changed.`,
  );
}

/** Dotted version numbers compared part by part (1.10.0 > 1.9.2); a pre-release or build suffix is ignored. */
function compareVersions(a: string, b: string): number {
  const parts = (v: string) => v.split(/[-+]/, 1)[0]!.split('.').map((p) => Number.parseInt(p, 10) || 0);
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

/** The Peregrine version that applied the newest migration, if the file records it. */
export function recordedToolVersion(db: Database): string | null {
  try {
    const row = db
      .prepare('SELECT tool_version FROM schema_migration ORDER BY version DESC LIMIT 1')
      .get() as { tool_version: string | null } | undefined;
    return row?.tool_version ?? null;
  } catch {
    return null; // a file too damaged or too old to have the table: the message still stands without it
  }
}

/**
 * Brings the schema up to the newest known migration. Each migration runs in its own transaction
 * together with its user_version bump, so a crash leaves the file at the previous version, never
 * between two. Running it again is a no-op.
 */
export function migrate(db: Database, opts: MigrateOptions = {}): MigrationOutcome {
  const list = opts.migrations ?? knownMigrations;
  checkMigrationList(list);
  const known = latestSchemaVersion(list);
  const from = schemaVersion(db);
  if (from > known) {
    throw newerSchemaError(opts.fileName ?? db.name, from, known, recordedToolVersion(db));
  }
  const applied: number[] = [];
  const record = (m: Migration) =>
    db
      .prepare(
        `INSERT INTO schema_migration (version, name, applied_at, tool_version)
         VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), ?)`,
      )
      .run(m.version, m.name, opts.toolVersion ?? null);
  for (const m of list) {
    if (m.version <= from) continue;
    // IMMEDIATE: take the write lock before reading, so two processes cannot both apply it.
    db.transaction(() => {
      if (schemaVersion(db) >= m.version) return; // another connection got there first
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
      record(m);
      applied.push(m.version);
    }).immediate();
  }
  return { from, to: schemaVersion(db), applied };
}
