// Collection (CLI, collection worker): where a collection's writes go — applied on the collecting thread, or queued to a case writer thread so that storing a large page never holds up the next request.
import { Worker } from 'node:worker_threads';
import type { Database } from 'better-sqlite3';
import { explainCaseError } from '../../db/errors';
import { writeApplier, type CollectionWrite, type StoreFor } from './writes';
import type { WriterReply, WriterRequest } from './writer-protocol';
import type { WorkerEntry } from '../jobs/collect-job';

export interface CaseWriter {
  /** Applies writes in the order they were made; resolves when this one is committed, rejects when it was refused. */
  write(w: CollectionWrite): Promise<void>;
  /** After every write has settled: releases the writer (and its connection). */
  close(): Promise<void>;
  /** Writes applied and the time they took where they were applied. */
  readonly stats: WriterStats;
}

export interface WriterStats {
  writes: number;
  busyMs: number;
}

/**
 * Writes on the calling thread, each as it is made: the case holds a page before the next request is sent.
 * Used when no case writer thread is available (tests that drive the engine directly).
 */
export function inlineWriter(db: Database, storeFor: StoreFor): CaseWriter {
  const stats: WriterStats = { writes: 0, busyMs: 0 };
  const apply = writeApplier(db, storeFor);
  return {
    stats,
    write: (w) => {
      const started = performance.now();
      try {
        apply(w);
        return Promise.resolve();
      } catch (err) {
        // A full disk is told as what to do (free space, keep the -wal beside the case), not as SQLite's code.
        return Promise.reject(explainCaseError(err, db.name) as Error);
      } finally {
        stats.writes++;
        stats.busyMs += performance.now() - started;
      }
    },
    close: () => Promise.resolve(),
  };
}

/**
 * Writes on a thread of their own with their own connection to the case file, in order. The collecting thread
 * keeps sending requests (the identity reports' pacing depends on it) while pages are hashed, compressed and stored;
 * it reads the case (progress, checkpoints) through its own connection, which WAL keeps consistent.
 */
export function threadWriter(caseFile: string, entry: WorkerEntry): CaseWriter {
  const worker = new Worker(entry.file, { workerData: { caseFile }, execArgv: entry.execArgv });
  const waiting = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();
  let nextId = 1;
  let stopped: Error | null = null;
  const stats: WriterStats = { writes: 0, busyMs: 0 };
  const failAll = (err: Error) => {
    stopped ??= err;
    for (const w of waiting.values()) w.reject(stopped);
    waiting.clear();
  };
  worker.on('message', (reply: WriterReply) => {
    const w = waiting.get(reply.id);
    waiting.delete(reply.id);
    if (!w) return;
    stats.writes++;
    stats.busyMs += reply.ms;
    if (reply.ok) w.resolve();
    else w.reject(Object.assign(new Error(reply.message), { name: reply.name }));
  });
  worker.on('error', (err) => failAll(new Error(`The case writer stopped: ${err.message}. What was stored is kept; resume the collection.`)));
  worker.on('exit', (code) => failAll(new Error(`The case writer stopped unexpectedly (exit code ${code}). What was stored is kept; resume the collection.`)));
  return {
    stats,
    write(w) {
      if (stopped) return Promise.reject(stopped);
      const id = nextId++;
      return new Promise<void>((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        worker.postMessage({ id, write: w } satisfies WriterRequest);
      });
    },
    async close() {
      if (stopped) return;
      const id = nextId++;
      await new Promise<void>((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        worker.postMessage({ id, close: true } satisfies WriterRequest);
      });
      stopped = new Error('The case writer is closed.');
      await worker.terminate();
    },
  };
}
