// Test tooling (Node): the log store's attachment to a running simulator, so every route (Graph, Exchange, writes) reaches the same store and report throttle.
import type { IdentityState } from '../identity';
import type { Tenant } from '../scenario';
import { SimLogStore, type LogStoreOptions } from './store';
import { createLogsService, type LogsService } from './routes';
import { ReportsThrottle, type ThrottleOptions } from './throttle';

export { handleLogs, isLogsPath, type LogsService } from './routes';
export { createLogStore, SimLogStore, type LogStore, type LogStream } from './store';
export type { LogsGroundTruth } from './types';

// Keyed by the simulator's IdentityState: one store per running simulator, gone with it.
const services = new WeakMap<IdentityState, LogsService>();

export interface LogsOptions extends LogStoreOptions {
  throttle?: ThrottleOptions;
}

/** Builds the simulator's log store and attaches it to the simulator's state. */
export function attachLogs(state: IdentityState, tenant: Tenant, options: LogsOptions): LogsService {
  const service = createLogsService(new SimLogStore(tenant, options), new ReportsThrottle(options.throttle));
  services.set(state, service);
  return service;
}

/** The log store, report throttle and audit queries of the simulator that owns `state`. */
export function logsFor(state: IdentityState): LogsService {
  const service = services.get(state);
  if (!service) throw new Error('no log store attached to this simulator');
  return service;
}
