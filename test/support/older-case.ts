// Test tooling (Node): turns a case file into one as an older Peregrine wrote it (schema 20), to test upgrades on open.
import BetterSqlite3 from 'better-sqlite3';
import { migrations } from '../../db/migrations';
import { migrate } from '../../db/migrate';

/** The tables and columns migrations up to `version` create, from a fresh in-memory database. */
function schemaAt(version: number): BetterSqlite3.Database {
  const reference = new BetterSqlite3(':memory:');
  migrate(reference, { migrations: migrations.filter((m) => m.version <= version) });
  return reference;
}

/** Rewrites a closed case file in place so it looks like one from before migration 30 existed (schema 20). */
export function makeOlderCase(file: string): void {
  const ref = schemaAt(20);
  const tablesAt20 = new Set(ref.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table'`).pluck().all() as string[]);
  const raw = new BetterSqlite3(file);
  try {
    const tables = raw.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`).pluck().all() as string[];
    // A full-text table goes first, and its shadow tables with it (SQLite refuses to drop those on their own).
    const virtual = raw.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%'`).pluck().all() as string[];
    for (const table of virtual) raw.exec(`DROP TABLE "${table}"`);
    for (const table of tables.filter((t) => !tablesAt20.has(t)).reverse()) raw.exec(`DROP TABLE IF EXISTS "${table}"`);
    // Columns later migrations added to tables that existed at 20 go too.
    for (const table of tables.filter((t) => tablesAt20.has(t))) {
      const old = new Set((ref.pragma(`table_info(${table})`) as { name: string }[]).map((c) => c.name));
      for (const c of raw.pragma(`table_info(${table})`) as { name: string }[]) if (!old.has(c.name)) raw.exec(`ALTER TABLE "${table}" DROP COLUMN "${c.name}"`);
    }
    raw.exec('DELETE FROM schema_migration WHERE version > 20');
    raw.pragma('user_version = 20');
    raw.pragma('journal_mode = DELETE');
  } finally {
    raw.close();
    ref.close();
  }
}
