// Collection worker thread: runs a collection against the case file off the UI thread; asks main for tokens, reports progress.
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase, closeDatabase } from '../../db/connection';
import { createHttpTransport } from '../http/https';
import { readOnlyTransport } from '../http/read-only';
import { createGraphReader } from '../graph/reader';
import { createPacer } from '../graph/pacer';
import { createExchangeReaderFor } from '../exchange/reader';
import { collectTenant } from '../collect/sources';
import { engagementAppsFor } from '../auth/environment';
import type { CollectionJob, FromWorker, Service, ToWorker } from './protocol';

const port = parentPort;
if (!port) throw new Error('collect-worker runs only as a worker thread.');
const job = workerData as CollectionJob;
const send = (message: FromWorker) => port.postMessage(message);

const pending = new Map<number, { resolve: (token: string) => void; reject: (err: Error) => void }>();
let nextRequest = 1;
const abort = new AbortController();

port.on('message', (message: ToWorker) => {
  if (message.type === 'cancel') abort.abort();
  else {
    const waiter = pending.get(message.requestId);
    pending.delete(message.requestId);
    if (message.type === 'token') waiter?.resolve(message.token);
    else waiter?.reject(new Error(message.message));
  }
});

function token(service: Service, forceRefresh = false): Promise<string> {
  return new Promise((resolve, reject) => {
    const requestId = nextRequest++;
    pending.set(requestId, { resolve, reject });
    send({ type: 'token', requestId, service, forceRefresh });
  });
}

async function run() {
  const env = job.environment;
  const transport = readOnlyTransport(createHttpTransport({ ca: env.caPem, userAgent: 'Peregrine' }));
  const db = openDatabase(job.caseFile, { create: false });
  try {
    const graph = createGraphReader({ baseUrl: env.graphBaseUrl, transport, getToken: (o) => token('graph', o?.forceRefresh), pacer: createPacer(job.reportsLimit ? { limit: job.reportsLimit } : {}) });
    const exchange =
      job.services.includes('exchange') && job.anchorMailbox
        ? createExchangeReaderFor(env, { tenantId: job.tenantId, transport, getToken: (o) => token('exchange', o?.forceRefresh), anchorMailbox: job.anchorMailbox })
        : undefined;
    const status = await collectTenant(
      { db, readers: { cloud: env.cloud, graph, exchange }, clock: () => new Date(), pageSize: job.pageSize, signal: abort.signal, onProgress: (s) => send({ type: 'progress', status: s }), writerEntry: job.writerWorker ?? undefined },
      { runId: job.runId, environment: env.name, tenantId: job.tenantId, account: job.account, actor: job.actor, resume: job.resume, inboxRuleMailboxes: job.inboxRuleMailboxes, engagementApps: engagementAppsFor(env, job.account), ...(job.window ? { window: job.window } : {}) },
    );
    send({ type: 'done', status });
  } finally {
    closeDatabase(db);
  }
}

run().catch((err: Error) => send({ type: 'failed', message: err.message }));
