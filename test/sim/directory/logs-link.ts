// Test tooling (Node): reaches LOGS' log store and report throttle from directory routes, when the simulator attached them (kept apart from scenario.ts's imports).
import type { IdentityState } from '../identity';
import { logsFor, type LogsService } from '../logs';

/** The log store and report throttle when LOGS attached them to this simulator; undefined otherwise. */
export function attachedLogs(state: IdentityState): LogsService | undefined {
  try {
    return logsFor(state);
  } catch {
    return undefined;
  }
}
