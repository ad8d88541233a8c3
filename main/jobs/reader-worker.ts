// Case reader thread: runs every rule over a case file, or verifies it, on its own read-only connection, so a case of
// millions of events never freezes the window. A report of the rules comes back with the custody head it answers for.
import { parentPort } from 'node:worker_threads';
import { openCase } from '../case/case';
import { verifyCaseFile } from '../case/verify';
import { closeDatabase } from '../../db/connection';
import { custodyHead } from '../../db/queries/custody';
import { detect } from '../detect/engine';
import type { FromReader, ToReader } from './reader-protocol';

const port = parentPort;
if (!port) throw new Error('reader-worker runs only as a worker thread.');
const send = (message: FromReader) => port.postMessage(message);

function detected(message: Extract<ToReader, { type: 'detect' }>): FromReader {
  const { db } = openCase(message.caseFile, { readonly: true });
  try {
    // One read transaction: the report and the head it answers for come from the same state of the case.
    const { report, head } = db.transaction(() => ({ head: custodyHead(db), report: detect(db, message.runId ? { runId: message.runId } : {}) }))();
    return { type: 'detected', id: message.id, report, head };
  } finally {
    closeDatabase(db);
  }
}

port.on('message', (message: ToReader) => {
  try {
    send(message.type === 'detect' ? detected(message) : { type: 'verified', id: message.id, report: verifyCaseFile(message.caseFile) });
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    const code = (e as { code?: unknown }).code;
    send({ type: 'failed', id: message.id, message: e.message, code: typeof code === 'string' ? code : null });
  }
});
