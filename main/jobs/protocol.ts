// Main process and collection worker: the messages between them. Tokens cross only as answers to the worker's requests and never reach the case file.
import type { CollectionStatus } from '../../preload/contract';
import type { TenantEnvironment } from '../auth/environment';
import type { WorkerEntry } from './collect-job';
import type { ReportsLimit } from '../graph/pacer';

export type Service = 'graph' | 'exchange';

export interface CollectionJob {
  caseFile: string;
  environment: TenantEnvironment;
  services: Service[];
  runId: string;
  tenantId: string;
  account: string;
  actor: string;
  resume: boolean;
  pageSize: number;
  /** For Exchange Online: the routing hint (`UPN:<upn>`). */
  anchorMailbox: string | null;
  /** The window for sign-ins, audits and the Unified Audit Log; null skips them (a resumed run keeps its own). */
  window: { from: string; to: string } | null;
  /** Mailboxes whose inbox rules to read (new runs; a resumed run keeps its plan). */
  inboxRuleMailboxes: string[];
  /** The report endpoints' limit to pace to; Graph's (5 per 10 s) when absent. */
  reportsLimit?: ReportsLimit | null;
  /** Where the case writer thread's code is; null stores pages on the collection worker's own thread. */
  writerWorker?: WorkerEntry | null;
}

export type FromWorker =
  | { type: 'token'; requestId: number; service: Service; forceRefresh: boolean }
  | { type: 'progress'; status: CollectionStatus }
  | { type: 'done'; status: CollectionStatus }
  | { type: 'failed'; message: string };

export type ToWorker =
  | { type: 'token'; requestId: number; token: string }
  | { type: 'token-error'; requestId: number; message: string }
  | { type: 'cancel' };
