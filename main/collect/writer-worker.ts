// Case writer thread: applies a collection's writes to the case file in the order they arrive, with its own connection.
import { parentPort, workerData } from 'node:worker_threads';
import { closeDatabase, openDatabase } from '../../db/connection';
import { explainCaseError } from '../../db/errors';
import { sourceNamed } from './sources';
import { writeApplier } from './writes';
import type { WriterReply, WriterRequest } from './writer-protocol';

const port = parentPort;
if (!port) throw new Error('writer-worker runs only as a worker thread.');
const { caseFile } = workerData as { caseFile: string };
const db = openDatabase(caseFile, { create: false });
// This connection does nearly all of a collection's writing, into indexes keyed by random GUIDs that grow past a
// gigabyte on a large tenant: 512 MiB of page cache (allocated only as used) keeps their inner pages in memory, and
// 64 MiB of WAL between checkpoints writes a page hit by many commits to the main file once. With synchronous NORMAL
// (safe in WAL mode) a commit is not flushed to disk on its own: a killed process loses nothing; a power cut may lose
// the last pages with their checkpoints, which a resume reads again.
db.pragma('cache_size = -524288');
db.pragma('wal_autocheckpoint = 16384');
db.pragma('synchronous = NORMAL');
const apply = writeApplier(db, (name) => sourceNamed(name)?.store);

port.on('message', (request: WriterRequest) => {
  const reply = (r: WriterReply) => port.postMessage(r);
  if (request.close) {
    closeDatabase(db);
    reply({ id: request.id, ok: true, ms: 0 });
    return;
  }
  const w = request.write;
  const started = performance.now();
  try {
    apply(w);
    reply({ id: request.id, ok: true, ms: performance.now() - started });
  } catch (err) {
    // A full disk is told as what to do (free space, keep the -wal beside the case), not as SQLite's code.
    const e = explainCaseError(err, caseFile) as Error;
    reply({ id: request.id, ok: false, name: e.name, message: e.message, ms: performance.now() - started });
  }
});
