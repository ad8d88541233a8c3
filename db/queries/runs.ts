// Any process with a case file open: collection runs (one per collection or import), their start and end.
import type { Database } from 'better-sqlite3';
import { CaseFileError } from '../errors';

export type RunState = 'running' | 'done' | 'failed' | 'cancelled';

export interface CollectionRun {
  runId: string;
  startedAt: string;
  finishedAt: string | null;
  state: RunState;
  /** Name of the environment (tenant profile) collected from. */
  environment: string;
  tenantId: string;
  /** UPN (or app id for app-only) of the signed-in identity; never a token. */
  account: string | null;
  error: string | null;
}

interface RunColumns {
  run_id: string;
  started_at: string;
  finished_at: string | null;
  state: RunState;
  environment: string;
  tenant_id: string;
  account: string | null;
  error: string | null;
}

const toRun = (r: RunColumns): CollectionRun => ({
  runId: r.run_id,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
  state: r.state,
  environment: r.environment,
  tenantId: r.tenant_id,
  account: r.account,
  error: r.error,
});

export function startRun(
  db: Database,
  run: { runId: string; startedAt: string; environment: string; tenantId: string; account?: string | null },
): CollectionRun {
  const account = run.account ?? null;
  // A JWT or bearer header pasted as "account" would persist a credential in evidence.
  if (account !== null && (/^eyJ/.test(account) || /^bearer\s/i.test(account) || account.length > 320)) {
    throw new CaseFileError('invalid_input', 'The run account must be the signed-in UPN or app id, never a token.');
  }
  db.prepare(
    `INSERT INTO collection_run (run_id, started_at, state, environment, tenant_id, account)
     VALUES (@runId, @startedAt, 'running', @environment, @tenantId, @account)`,
  ).run({ runId: run.runId, startedAt: run.startedAt, environment: run.environment, tenantId: run.tenantId, account });
  return getRun(db, run.runId)!;
}

export function finishRun(
  db: Database,
  runId: string,
  end: { state: Exclude<RunState, 'running'>; finishedAt: string; error?: string | null },
): CollectionRun {
  const changed = db
    .prepare(`UPDATE collection_run SET state = ?, finished_at = ?, error = ? WHERE run_id = ? AND state = 'running'`)
    .run(end.state, end.finishedAt, end.error ?? null, runId).changes;
  if (changed === 0) {
    const existing = getRun(db, runId);
    throw new CaseFileError(
      'invalid_input',
      existing
        ? `Collection run ${runId} already finished (${existing.state} at ${existing.finishedAt ?? '?'}); a run ends once.`
        : `There is no collection run ${runId} in this case.`,
    );
  }
  return getRun(db, runId)!;
}

export function getRun(db: Database, runId: string): CollectionRun | null {
  const row = db.prepare('SELECT * FROM collection_run WHERE run_id = ?').get(runId) as RunColumns | undefined;
  return row ? toRun(row) : null;
}

/** Oldest first. */
export function listRuns(db: Database): CollectionRun[] {
  return (db.prepare('SELECT * FROM collection_run ORDER BY started_at, rowid').all() as RunColumns[]).map(toRun);
}

/**
 * The run whose entities are "the tenant as we know it": the last collection that finished cleanly. An import
 * (environment 'import': files handed over, main/import) is that run only in a case no collection has read: it holds
 * logs, not the tenant's objects, and must not hide the last collection's.
 */
export function latestCompletedRun(db: Database): CollectionRun | null {
  const row = db
    .prepare(`SELECT * FROM collection_run WHERE state = 'done' ORDER BY environment = 'import', finished_at DESC, rowid DESC LIMIT 1`)
    .get() as RunColumns | undefined;
  return row ? toRun(row) : null;
}

/**
 * A run that was killed (still 'running') or ended cancelled/failed can be resumed: it becomes 'running' again,
 * keeping its evidence and checkpoints. A run that finished cleanly is complete and stays so.
 */
export function reopenRun(db: Database, runId: string): CollectionRun {
  const run = getRun(db, runId);
  if (!run) throw new CaseFileError('invalid_input', `There is no collection run ${runId} in this case.`);
  if (run.state === 'done') throw new CaseFileError('invalid_input', `Collection run ${runId} finished cleanly; start a new collection instead of resuming it.`);
  if (run.state !== 'running') db.prepare(`UPDATE collection_run SET state = 'running', finished_at = NULL, error = NULL WHERE run_id = ?`).run(runId);
  return getRun(db, runId)!;
}

/** The newest run that did not finish cleanly: what `collect --resume` continues. */
export function latestResumableRun(db: Database): CollectionRun | null {
  const row = db
    .prepare(`SELECT * FROM collection_run WHERE state != 'done' ORDER BY started_at DESC, rowid DESC LIMIT 1`)
    .get() as RunColumns | undefined;
  return row ? toRun(row) : null;
}

/** The newest clean run that started before this one: what a re-collection is compared with. */
export function previousCompletedRun(db: Database, runId: string): CollectionRun | null {
  const row = db
    .prepare(
      `SELECT p.* FROM collection_run p, collection_run r
       WHERE r.run_id = ? AND p.run_id != r.run_id AND p.state = 'done' AND p.started_at <= r.started_at AND p.environment != 'import'
       ORDER BY p.started_at DESC, p.rowid DESC LIMIT 1`,
    )
    .get(runId) as RunColumns | undefined;
  return row ? toRun(row) : null;
}
