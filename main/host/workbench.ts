// Main process: the contract's handlers over one open case, one tenant session and one collection at a time; both transports share it.
// Each area of the contract has its own module in ./areas; this file only puts them together.
import type { Handlers } from '../../preload/contract';
import { appHandlers, caseHandlers } from './areas/case';
import { collectArea } from './areas/collect';
import { createContext, type WorkbenchDeps } from './areas/context';
import { exportHandlers } from './areas/export';
import { evidenceHandlers } from './areas/evidence';
import { findingsHandlers } from './areas/findings';
import { settingsHandlers } from './areas/settings';
import { tenantArea } from './areas/tenant';
import { remediateArea } from './areas/remediate';
import { timelineHandlers } from './areas/timeline';
import { importArea } from './areas/import';

export type { WorkbenchDeps } from './areas/context';

export interface Workbench {
  handlers: Handlers;
  /** The open case's file, for the host's own use (never sent to the renderer). */
  currentCaseFile(): string | null;
  close(): Promise<void>;
}

export function createWorkbench(deps: WorkbenchDeps): Workbench {
  const ctx = createContext(deps);
  const tenant = tenantArea(ctx);
  const collect = collectArea(ctx, tenant);
  const remediate = remediateArea(ctx);
  const imports = importArea(ctx);
  const handlers: Handlers = {
    app: appHandlers(ctx),
    case: caseHandlers(ctx),
    auth: tenant.handlers,
    collect: collect.handlers,
    evidence: evidenceHandlers(ctx),
    findings: findingsHandlers(ctx),
    export: exportHandlers(ctx),
    settings: settingsHandlers(ctx),
    remediate: remediate.handlers,
    timeline: timelineHandlers(ctx),
    import: imports.handlers,
  };
  return {
    handlers,
    currentCaseFile: () => ctx.openCase()?.file ?? null,
    async close() {
      await tenant.close();
      await collect.close();
      await remediate.close();
      await imports.close();
      ctx.closeCase();
      await ctx.close();
    },
  };
}
