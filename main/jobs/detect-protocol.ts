// Main process ↔ detection worker: the messages of one long-lived thread that runs the rules over a case file.
import type { DetectionReport } from '../../preload/contract';

export type ToDetectWorker = { type: 'detect'; id: number; caseFile: string; runId?: string };

export type FromDetectWorker =
  | { type: 'done'; id: number; report: DetectionReport; head: string | null }
  | { type: 'failed'; id: number; message: string; code: string | null };
