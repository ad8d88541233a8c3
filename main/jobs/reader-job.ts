// Main process: one case reader thread (the rules, verification), started at the first request and kept for the next; requests queue in it.
import { Worker } from 'node:worker_threads';
import type { DetectionReport } from '../../preload/contract';
import type { WorkerEntry } from './collect-job';
import type { VerifyReport } from '../case/verify';
import type { FromReader, ToReader } from './reader-protocol';

export class ReaderFailed extends Error {
  override readonly name = 'ReaderFailed';
  constructor(
    message: string,
    readonly code: string | null,
  ) {
    super(message);
  }
}

export interface DetectionRun {
  report: DetectionReport;
  /** The custody head the report was computed at. */
  head: string | null;
}

export class CaseReader {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (answer: FromReader) => void; reject: (err: Error) => void }>();

  constructor(private readonly entry: () => WorkerEntry) {}

  /** The rules over the case file (the newest clean collection, or `runId`'s), off this thread. */
  async detect(caseFile: string, runId?: string): Promise<DetectionRun> {
    const answer = await this.ask({ type: 'detect', caseFile, ...(runId ? { runId } : {}) });
    if (answer.type !== 'detected') throw new ReaderFailed('The case reader answered out of turn.', 'reader_failed');
    return { report: answer.report, head: answer.head };
  }

  /** The case file verified (every evidence row's hash, the custody chain, its checkpoints), off this thread. */
  async verify(caseFile: string): Promise<VerifyReport> {
    const answer = await this.ask({ type: 'verify', caseFile });
    if (answer.type !== 'verified') throw new ReaderFailed('The case reader answered out of turn.', 'reader_failed');
    return answer.report;
  }

  private ask(request: Omit<Extract<ToReader, { type: 'detect' }>, 'id'> | Omit<Extract<ToReader, { type: 'verify' }>, 'id'>): Promise<FromReader> {
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    // Held while a request is out (the answer is awaited), let go when idle (it must not keep the process alive).
    worker.ref();
    return new Promise<FromReader>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ ...request, id } as ToReader);
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (worker) await worker.terminate();
    this.failAll('The workbench closed before the case was read.');
  }

  private start(): Worker {
    const entry = this.entry();
    const worker = new Worker(entry.file, { execArgv: entry.execArgv });
    worker.on('message', (message: FromReader) => {
      const waiting = this.pending.get(message.id);
      if (!waiting) return;
      this.pending.delete(message.id);
      if (this.pending.size === 0) worker.unref();
      if (message.type === 'failed') waiting.reject(new ReaderFailed(message.message, message.code));
      else waiting.resolve(message);
    });
    const lost = (why: string) => {
      if (this.worker === worker) this.worker = null;
      this.failAll(why);
    };
    worker.on('error', (err) => lost(`The case could not be read: ${err.message}`));
    worker.on('exit', (code) => lost(`The case reader stopped unexpectedly (exit code ${code}); nothing was computed. Try again.`));
    this.worker = worker;
    return worker;
  }

  private failAll(message: string): void {
    for (const [id, waiting] of this.pending) {
      this.pending.delete(id);
      waiting.reject(new ReaderFailed(message, 'reader_failed'));
    }
  }
}
