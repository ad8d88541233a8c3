// Tests: change a case file as an attacker with the sqlite3 shell would — guards dropped, the change made, guards put back.
import BetterSqlite3 from 'better-sqlite3';

/** Opens `file` raw (foreign keys off), drops every trigger, runs `change`, and restores the triggers not in `keepDropped`. */
export function withGuardsDropped(file: string, change: (db: BetterSqlite3.Database) => void, keepDropped: readonly string[] = []): void {
  const db = new BetterSqlite3(file);
  try {
    db.pragma('foreign_keys = OFF');
    const guards = db.prepare(`SELECT name, sql FROM sqlite_schema WHERE type = 'trigger'`).all() as { name: string; sql: string }[];
    for (const g of guards) db.exec(`DROP TRIGGER ${g.name}`);
    change(db);
    for (const g of guards) if (!keepDropped.includes(g.name)) db.exec(g.sql);
  } finally {
    db.close();
  }
}
