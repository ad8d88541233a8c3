// Main process: the app and case handlers — create, open, close, verify a case and read its custody.
import fs from 'node:fs';
import path from 'node:path';
import type { Handlers } from '../../../preload/contract';
import { createCase, openCase } from '../../case/case';
import { verifyCaseFile } from '../../case/verify';
import { closeDatabase } from '../../../db/connection';
import { listCustody } from '../../../db/queries/custody';
import { HandlerError } from '../dispatch';
import { safeFileName, uniquePath, type WorkbenchContext } from './context';

export function appHandlers(ctx: WorkbenchContext): Handlers['app'] {
  const { deps } = ctx;
  return {
    info: async () => ({
      version: deps.toolVersion,
      host: deps.host,
      environment: deps.environment
        ? {
            name: deps.environment.name,
            cloud: deps.environment.cloud,
            tenantId: deps.environment.tenant,
            authority: `${deps.environment.authorityHost}/${deps.environment.tenant}`,
            graphBaseUrl: deps.environment.graphBaseUrl,
            clientId: deps.environment.clientId,
            simulator: deps.environment.cloud === 'simulator',
          }
        : null,
    }),
  };
}

export function caseHandlers(ctx: WorkbenchContext): Handlers['case'] {
  const { deps, clock } = ctx;
  return {
    recent: async () => ctx.readRecent().map(({ caseId, name, fileName, lastOpenedAt }) => ({ caseId, name, fileName, lastOpenedAt })),
    create: async (input) => {
      const suggested = `${safeFileName(input.name)}.peregrine`;
      const file = deps.chooseNewCaseFile ? await deps.chooseNewCaseFile(suggested) : uniquePath(deps.casesDir, suggested);
      if (!file) throw new HandlerError('cancelled', 'No file was chosen; no case was created.');
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const created = createCase(file, input, { clock, toolVersion: deps.toolVersion });
      ctx.setOpen({ file, ...created }, { created: true });
      return created.summary;
    },
    open: async ({ caseId }) => {
      const entry = ctx.readRecent().find((r) => r.caseId === caseId);
      if (!entry) throw new HandlerError('unknown_case', 'That case is not in the recent list any more (moved or deleted?). Open its file again.');
      const opened = openCase(entry.file);
      if (opened.summary.caseId !== caseId) {
        closeDatabase(opened.db);
        throw new HandlerError('case_mismatch', `${entry.fileName} now holds a different case; it was not opened.`);
      }
      ctx.setOpen({ file: entry.file, ...opened });
      return opened.summary;
    },
    current: async () => ctx.openCase()?.summary ?? null,
    close: async () => {
      const busy = ctx.busy();
      if (busy === 'remediation') throw new HandlerError('busy', 'A remediation step is running on this case; wait for it to finish before closing.');
      if (busy) throw new HandlerError('busy', 'A collection is writing to this case; wait for it to finish or cancel it before closing.');
      ctx.closeCase();
      return null;
    },
    verify: async () => {
      const { file } = ctx.requireCase();
      const report = verifyCaseFile(file);
      const first = report.problems[0];
      return {
        ok: report.ok,
        checkedAt: clock().toISOString(),
        evidenceRows: report.checked.evidence,
        custodyEntries: report.checked.custody,
        chainHead: report.chainHead,
        problem: first ? `${first.where}: ${first.message}` : null,
      };
    },
    custody: async () =>
      listCustody(ctx.requireCase().db).map((e) => ({
        seq: e.seq,
        at: e.at,
        action: e.action,
        actor: e.actor,
        summary: summarizeDetails(e.details),
        hash: e.hash,
      })),
  };
}

/** An entry's plain facts as `key: value · key: value`; a list of plain values is written joined by ', '. */
function summarizeDetails(details: unknown): string {
  if (!details || typeof details !== 'object') return '';
  const plain = (v: unknown) => v !== null && v !== undefined && typeof v !== 'object';
  return Object.entries(details as Record<string, unknown>)
    .filter(([, v]) => plain(v) || (Array.isArray(v) && v.every(plain)))
    .map(([k, v]) => `${k}: ${Array.isArray(v) ? (v.length ? v.map(String).join(', ') : '—') : String(v)}`)
    .join(' · ')
    .slice(0, 300);
}
