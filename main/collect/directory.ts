// Main process / CLI: collects the directory objects an OAuth-app investigation starts from; every page becomes evidence first.
import type Database from 'better-sqlite3';
import { insertEvidence } from '../../db/queries/evidence';
import { insertApplications, insertOrganization, insertServicePrincipals } from '../../db/queries/directory';
import { finishRun, startRun } from '../../db/queries/runs';
import { appendCustody } from '../../db/queries/custody';
import type { GraphReader } from '../graph/reader';
import { GraphError } from '../graph/reader';
import type { CollectionStatus, SourceProgress } from '../../preload/contract';

type Db = Database.Database;

interface DirectorySource {
  source: string;
  label: string;
  path: string;
  /** Whether the endpoint pages (takes `$top`). */
  paged: boolean;
  store: (db: Db, runId: string, evidenceId: number, objects: unknown[]) => void;
}

export const DIRECTORY_SOURCES: readonly DirectorySource[] = [
  { source: 'graph.organization', label: 'Organization', path: '/v1.0/organization', paged: false, store: insertOrganization },
  { source: 'graph.applications', label: 'Applications', path: '/v1.0/applications', paged: true, store: insertApplications },
  { source: 'graph.servicePrincipals', label: 'Service principals', path: '/v1.0/servicePrincipals', paged: true, store: insertServicePrincipals },
];

export interface CollectDeps {
  db: Db;
  graph: GraphReader;
  clock: () => Date;
  onProgress?: (status: CollectionStatus) => void;
  signal?: AbortSignal;
  /** Objects per page; Graph's maximum for directory objects (999) keeps the request count, and throttling, down. */
  pageSize?: number;
}

export interface CollectTarget {
  runId: string;
  environment: string;
  tenantId: string;
  /** UPN of the signed-in identity (never a token). */
  account: string;
  /** Who asked for the collection (the examiner), for the custody log. */
  actor: string;
}

/** A page that carries a secret value is refused whole: secrets never enter the case file. */
const SECRET_VALUE = /"secretText"\s*:\s*"/;

export async function collectDirectory(deps: CollectDeps, target: CollectTarget): Promise<CollectionStatus> {
  const { db, graph, clock } = deps;
  const startedAt = clock().toISOString();
  const status: CollectionStatus = {
    runId: target.runId,
    state: 'running',
    startedAt,
    finishedAt: null,
    sources: DIRECTORY_SOURCES.map((s) => ({ source: s.source, label: s.label, state: 'pending', pages: 0, records: 0, error: null })),
    error: null,
  };
  const emit = () => deps.onProgress?.(structuredClone(status));

  db.transaction(() => {
    startRun(db, { runId: target.runId, startedAt, environment: target.environment, tenantId: target.tenantId, account: target.account });
    appendCustody(db, {
      at: startedAt,
      action: 'collection.started',
      actor: target.actor,
      details: { runId: target.runId, environment: target.environment, tenantId: target.tenantId, account: target.account, sources: DIRECTORY_SOURCES.map((s) => s.source) },
    });
  })();
  emit();

  for (const [i, spec] of DIRECTORY_SOURCES.entries()) {
    const progress = status.sources[i] as SourceProgress;
    progress.state = 'running';
    emit();
    try {
      const pathWithTop = spec.paged ? `${spec.path}?$top=${deps.pageSize ?? 999}` : spec.path;
      for await (const page of graph.pages(pathWithTop, deps.signal)) {
        if (SECRET_VALUE.test(page.body.toString('utf8'))) {
          throw new GraphError(`A page of ${spec.label.toLowerCase()} carried a secret value; it was not stored. Report this: Graph does not return secrets on reads.`, page.status, 'secret_in_response', page.url);
        }
        // Evidence and the rows derived from it land together or not at all.
        db.transaction(() => {
          const ev = insertEvidence(db, {
            runId: target.runId,
            source: spec.source,
            method: 'GET',
            url: page.url,
            status: page.status,
            contentType: page.contentType,
            collectedAt: clock().toISOString(),
            body: page.body,
          });
          spec.store(db, target.runId, ev.id, page.value);
        })();
        progress.pages += 1;
        progress.records += page.value.length;
        emit();
      }
      progress.state = 'done';
    } catch (err) {
      if (deps.signal?.aborted) {
        progress.state = 'failed';
        progress.error = 'Cancelled.';
        status.state = 'cancelled';
        break;
      }
      progress.state = 'failed';
      progress.error = (err as Error).message;
    }
    emit();
  }

  const failed = status.sources.filter((s) => s.state === 'failed');
  if (status.state !== 'cancelled') status.state = failed.length === 0 ? 'done' : 'failed';
  status.error = failed.length ? `${failed.length} of ${status.sources.length} sources failed: ${failed.map((s) => s.label).join(', ')}. What was collected is kept; the rest can be collected again.` : null;
  status.finishedAt = clock().toISOString();
  db.transaction(() => {
    finishRun(db, target.runId, { state: status.state === 'running' ? 'failed' : status.state, finishedAt: status.finishedAt!, error: status.error });
    appendCustody(db, {
      at: status.finishedAt!,
      action: 'collection.finished',
      actor: target.actor,
      details: {
        runId: target.runId,
        state: status.state,
        sources: status.sources.map(({ source, state, pages, records, error }) => ({ source, state, pages, records, error })),
      },
    });
  })();
  emit();
  return status;
}
