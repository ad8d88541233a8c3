// Collection (CLI, collection worker, case writer thread): every write a collection makes to the case file, as plain data, so the same code runs on the collecting thread or in the case writer.
import type { Database } from 'better-sqlite3';
import { EntityShapeError } from '../../db/errors';
import { decodeText } from '../../db/normalize/text';
import { insertEvidence, runEvidenceDigest } from '../../db/queries/evidence';
import { finishRun, previousCompletedRun, reopenRun, startRun } from '../../db/queries/runs';
import { recordChanges, type SnapshotEntity } from '../../db/queries/changes';
import { appendCustody } from '../../db/queries/custody';
import { finishSource, initSources, listSources, markSourceRunning, recordPage, recordRetry, type SourceNotice, type SourceRecord } from '../../db/queries/sources';

/** A fetched page as it crosses to the writer: the bytes for evidence, the objects in them, and the checkpoint after it. */
export interface PageWrite {
  /** IMPORT: a chunk of a file handed over (main/import), stored as a page is. */
  method: 'GET' | 'POST' | 'IMPORT';
  url: string;
  status: number;
  contentType: string;
  body: Uint8Array;
  requestBody: string | null;
  value: unknown[];
  next: string | null;
  truncated: boolean;
  notices: SourceNotice[];
}

export interface PlannedSource {
  source: string;
  label: string;
  windowFrom: string | null;
  windowTo: string | null;
  scope: unknown;
}

export type CollectionWrite =
  | { op: 'start'; runId: string; at: string; environment: string; tenantId: string; account: string; actor: string; plan: PlannedSource[]; window: { from: string; to: string } | null; engagementApps?: string[] }
  | { op: 'resume'; runId: string; at: string; account: string; actor: string }
  | { op: 'running'; runId: string; source: string; at: string }
  | { op: 'page'; runId: string; source: string; label: string; at: string; page: PageWrite }
  | { op: 'retry'; runId: string; source: string }
  | { op: 'finishSource'; runId: string; source: string; state: 'done' | 'failed' | 'cancelled'; at: string; error: string | null }
  | { op: 'finish'; runId: string; state: 'done' | 'failed' | 'cancelled'; at: string; error: string | null; actor: string; entities: SnapshotEntity[] };

/** Derives a source's rows from one page's objects (the source's `store`); looked up by source name. */
export type StoreFor = (source: string) => ((db: Database, runId: string, evidenceId: number, objects: unknown[]) => void | number) | undefined;

/** A page that carries a secret value is refused whole: secrets never enter the case file. */
const SECRET_VALUE = /"secretText"\s*:\s*"/;

const summary = (records: SourceRecord[]) => records.map(({ source, state, pages, records: n, retries, lastError, truncated }) => ({ source, state, pages, records: n, retries, error: lastError, truncated }));

/**
 * Applies one write. A page's evidence, rows and checkpoint commit together or not at all: a page that cannot be
 * stored leaves the case as it was and the checkpoint where it was, so a resume reads that page again.
 */
export function applyWrite(db: Database, w: CollectionWrite, storeFor: StoreFor): void {
  switch (w.op) {
    case 'start':
      db.transaction(() => {
        startRun(db, { runId: w.runId, startedAt: w.at, environment: w.environment, tenantId: w.tenantId, account: w.account });
        initSources(db, w.runId, w.plan);
        appendCustody(db, {
          at: w.at,
          action: 'collection.started',
          actor: w.actor,
          details: {
            runId: w.runId, environment: w.environment, tenantId: w.tenantId, account: w.account, sources: w.plan.map((s) => s.source), window: w.window,
            // The engagement's own apps, so detection can tell them from an attacker's (by id, never by name).
            ...(w.engagementApps?.length ? { engagementApps: w.engagementApps } : {}),
          },
        });
      })();
      return;
    case 'resume':
      db.transaction(() => {
        reopenRun(db, w.runId);
        appendCustody(db, { at: w.at, action: 'collection.resumed', actor: w.actor, details: { runId: w.runId, account: w.account, checkpoint: summary(listSources(db, w.runId)) } });
      })();
      return;
    case 'running':
      markSourceRunning(db, w.runId, w.source, w.at);
      return;
    case 'retry':
      recordRetry(db, w.runId, w.source);
      return;
    case 'finishSource':
      finishSource(db, w.runId, w.source, { state: w.state, at: w.at, error: w.error });
      return;
    case 'page': {
      const store = storeFor(w.source);
      if (!store) throw new Error(`No collection source is named ${w.source}; nothing from its page was stored.`);
      const { page } = w;
      const body = Buffer.from(page.body.buffer, page.body.byteOffset, page.body.byteLength);
      // decodeText: a collection folder's file may be UTF-16LE (PowerShell), where a UTF-8 reading would miss the name.
      if (SECRET_VALUE.test(decodeText(body))) {
        throw new Error(`A page of ${w.label.toLowerCase()} carried a secret value; it was not stored. Report this: Microsoft's services do not return secrets on reads.`);
      }
      db.transaction(() => {
        const ev = insertEvidence(db, {
          runId: w.runId,
          source: w.source,
          method: page.method,
          url: page.url,
          status: page.status,
          contentType: page.contentType,
          collectedAt: w.at,
          body,
          requestBody: page.requestBody,
        });
        let records = page.value.length;
        try {
          const fresh = store(db, w.runId, ev.id, page.value);
          if (typeof fresh === 'number') records = fresh;
        } catch (err) {
          if (!(err instanceof EntityShapeError)) throw err;
          // The page's transaction is rolled back, evidence included: say so instead of the import's "kept as evidence".
          const reason = err.message.replace(/^Evidence \d+: /, '').replace(/\s*The response is kept as evidence;.*$/, '');
          throw new Error(`A page of ${w.label.toLowerCase()} could not be stored: ${reason} Nothing from this page was stored; resume the collection to read it again.`, { cause: err });
        }
        recordPage(db, w.runId, w.source, { records, nextUrl: page.next, truncated: page.truncated, notices: page.notices });
      })();
      return;
    }
    case 'finish':
      db.transaction(() => {
        const final = listSources(db, w.runId);
        const previous = w.state === 'done' ? previousCompletedRun(db, w.runId) : null;
        const changes: Record<string, { appeared: number; disappeared: number; modified: number }> = {};
        if (previous) {
          for (const entity of w.entities) {
            const found = recordChanges(db, entity, previous.runId, w.runId);
            changes[entity] = {
              appeared: found.filter((c) => c.change === 'appeared').length,
              disappeared: found.filter((c) => c.change === 'disappeared').length,
              modified: found.filter((c) => c.change === 'modified').length,
            };
          }
        }
        finishRun(db, w.runId, { state: w.state, finishedAt: w.at, error: w.error });
        appendCustody(db, {
          at: w.at,
          action: 'collection.finished',
          actor: w.actor,
          details: { runId: w.runId, state: w.state, sources: summary(final), evidenceDigest: runEvidenceDigest(db, w.runId), ...(previous ? { comparedWith: previous.runId, changes } : {}) },
        });
      })();
      return;
  }
}

/**
 * Applies writes as they come, refusing every later page of a source one of whose pages was refused, so its checkpoint
 * stays on the refused page (pages may be queued behind it before the collecting thread hears of the refusal).
 */
export function writeApplier(db: Database, storeFor: StoreFor): (w: CollectionWrite) => void {
  const refused = new Map<string, string>();
  return (w) => {
    if (w.op === 'running') refused.delete(w.source);
    if (w.op === 'page' && refused.has(w.source)) {
      throw new Error(`Not stored: an earlier page of ${w.label.toLowerCase()} was refused (${refused.get(w.source)}).`);
    }
    try {
      applyWrite(db, w, storeFor);
    } catch (err) {
      if (w.op === 'page') refused.set(w.source, (err as Error).message);
      throw err;
    }
  };
}
