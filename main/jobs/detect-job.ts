// Main process: one detection worker thread, started at the first request and kept for the next; requests queue in it.
import { Worker } from 'node:worker_threads';
import type { DetectionReport } from '../../preload/contract';
import type { WorkerEntry } from './collect-job';
import type { FromDetectWorker, ToDetectWorker } from './detect-protocol';

export class DetectionFailed extends Error {
  override readonly name = 'DetectionFailed';
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

export class DetectionWorker {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (run: DetectionRun) => void; reject: (err: Error) => void }>();

  constructor(private readonly entry: () => WorkerEntry) {}

  /** The rules over the case file (the newest clean collection, or `runId`'s), off this thread. */
  run(caseFile: string, runId?: string): Promise<DetectionRun> {
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    // Held while a request is out (the answer is awaited), let go when idle (it must not keep the process alive).
    worker.ref();
    return new Promise<DetectionRun>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ type: 'detect', id, caseFile, ...(runId ? { runId } : {}) } satisfies ToDetectWorker);
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (worker) await worker.terminate();
    this.failAll('The workbench closed before the findings were computed.');
  }

  private start(): Worker {
    const entry = this.entry();
    const worker = new Worker(entry.file, { execArgv: entry.execArgv });
    worker.on('message', (message: FromDetectWorker) => {
      const waiting = this.pending.get(message.id);
      if (!waiting) return;
      this.pending.delete(message.id);
      if (this.pending.size === 0) worker.unref();
      if (message.type === 'done') waiting.resolve({ report: message.report, head: message.head });
      else waiting.reject(new DetectionFailed(message.message, message.code));
    });
    const lost = (why: string) => {
      if (this.worker === worker) this.worker = null;
      this.failAll(why);
    };
    worker.on('error', (err) => lost(`The findings could not be computed: ${err.message}`));
    worker.on('exit', (code) => lost(`The detection worker stopped unexpectedly (exit code ${code}); the findings were not computed. Try again.`));
    this.worker = worker;
    return worker;
  }

  private failAll(message: string): void {
    for (const [id, waiting] of this.pending) {
      this.pending.delete(id);
      waiting.reject(new DetectionFailed(message, 'detection_failed'));
    }
  }
}
