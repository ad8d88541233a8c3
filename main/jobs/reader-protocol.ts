// Main process ↔ case reader: the messages of one long-lived thread that reads a case file on its own read-only
// connection — the rules over it, and its verification.
import type { DetectionReport } from '../../preload/contract';
import type { VerifyReport } from '../case/verify';

export type ToReader =
  | { type: 'detect'; id: number; caseFile: string; runId?: string }
  | { type: 'verify'; id: number; caseFile: string };

export type FromReader =
  | { type: 'detected'; id: number; report: DetectionReport; head: string | null }
  | { type: 'verified'; id: number; report: VerifyReport }
  | { type: 'failed'; id: number; message: string; code: string | null };
