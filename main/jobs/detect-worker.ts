// Detection worker thread: runs every rule over a case file on its own read-only connection, so a case of millions of
// events never freezes the window; the report comes back with the custody head it was computed at.
import { parentPort } from 'node:worker_threads';
import { openCase } from '../case/case';
import { closeDatabase } from '../../db/connection';
import { custodyHead } from '../../db/queries/custody';
import { detect } from '../detect/engine';
import type { FromDetectWorker, ToDetectWorker } from './detect-protocol';

const port = parentPort;
if (!port) throw new Error('detect-worker runs only as a worker thread.');
const send = (message: FromDetectWorker) => port.postMessage(message);

port.on('message', (message: ToDetectWorker) => {
  if (message.type !== 'detect') return;
  try {
    const { db } = openCase(message.caseFile, { readonly: true });
    try {
      // One read transaction: the report and the head it answers for come from the same state of the case.
      const { report, head } = db.transaction(() => ({ head: custodyHead(db), report: detect(db, message.runId ? { runId: message.runId } : {}) }))();
      send({ type: 'done', id: message.id, report, head });
    } finally {
      closeDatabase(db);
    }
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    const code = (e as { code?: unknown }).code;
    send({ type: 'failed', id: message.id, message: e.message, code: typeof code === 'string' ? code : null });
  }
});
