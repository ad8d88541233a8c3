// Main process: the app and case handlers — create, open, close, verify a case and read its custody.
import fs from 'node:fs';
import path from 'node:path';
import type { Handlers, OpenedCase, ReceivedCaseView } from '../../../preload/contract';
import { createCase, openCase } from '../../case/case';
import { readProvenance } from '../../case/provenance';
import { loadSettings } from '../../settings/store';
import { closeDatabase } from '../../../db/connection';
import { listCustody } from '../../../db/queries/custody';
import { HandlerError } from '../dispatch';
import { safeFileName, uniquePath, type WorkbenchContext } from './context';
import { environmentSummary } from './environment-view';

export function appHandlers(ctx: WorkbenchContext): Handlers['app'] {
  const { deps } = ctx;
  return {
    info: async () => ({
      version: deps.toolVersion,
      host: deps.host,
      // A Settings file that cannot be read leaves the tenant unknown here; the Collect screen says why.
      environment: (() => {
        try {
          return environmentSummary(ctx);
        } catch {
          return null;
        }
      })(),
    }),
  };
}

/** A path typed in the browser host: a whole path to a file, never a relative one resolved against the server's folder. */
function typedCaseFile(typed: string | undefined): string {
  if (typed === undefined) throw new HandlerError('invalid_input', 'path: type the full path of the case file to open (for example /home/you/cases/contoso.peregrine).');
  if (typed.includes('\0')) throw new HandlerError('invalid_input', 'path: a path cannot contain a NUL character.');
  if (!path.isAbsolute(typed)) throw new HandlerError('invalid_input', `path: "${typed}" is not a full path. Type the whole path, starting at the root of the disk (for example /home/you/cases/contoso.peregrine).`);
  return path.normalize(typed);
}

export function caseHandlers(ctx: WorkbenchContext): Handlers['case'] {
  const { deps, clock } = ctx;
  /** The received case refused because opening it would upgrade it, until the examiner agrees or opens another. */
  let awaitingUpgrade: string | null = null;
  /** What was found when the open case was opened from disk, if someone else made it. */
  let received: { caseId: string; view: ReceivedCaseView } | null = null;
  ctx.onCaseOpened((open) => {
    if (received && received.caseId !== open.summary.caseId) received = null;
  });

  /** Settings' examiner, or none when the settings cannot be read (Settings says what is wrong with them). */
  const settingsExaminer = (): string => {
    try {
      return loadSettings(deps.homeDir).examiner;
    } catch {
      return '';
    }
  };

  async function openFromDisk(file: string, upgrade: boolean): Promise<OpenedCase> {
    if (ctx.busy()) throw new HandlerError('busy', 'Something is writing to the open case; wait for it to finish before opening another.');
    const fileName = path.basename(file);
    const here = { examiner: settingsExaminer(), toolVersion: deps.toolVersion };
    // Read-only first: a file that is not a case, is damaged or is newer is refused here, naming it, untouched.
    const provenance = readProvenance(file, here);
    const isReceived = provenance.reasons.length > 0;
    let view: ReceivedCaseView | null = null;
    if (isReceived) {
      // Checked as received, before anything else opens it for writing.
      const report = await ctx.verifyFile(file);
      view = {
        fileName,
        examiner: provenance.examiner,
        toolVersion: provenance.toolVersion,
        schemaWrittenBy: provenance.schemaWrittenBy !== provenance.toolVersion ? provenance.schemaWrittenBy : null,
        reasons: provenance.reasons,
        here,
        verification: {
          ok: report.ok,
          checkedAt: clock().toISOString(),
          evidenceRows: report.checked.evidence,
          custodyEntries: report.checked.custody,
          chainHead: report.chainHead,
          problems: report.problems.slice(0, 20).map((p) => ({ where: p.where, message: p.message })),
        },
      };
      if (provenance.needsUpgrade && !upgrade) {
        awaitingUpgrade = file;
        throw new HandlerError(
          'needs_upgrade',
          `${fileName} was made by ${provenance.examiner} with Peregrine ${provenance.toolVersion} (schema ${provenance.schemaVersion}); this Peregrine must upgrade it to open it, and opening a case received from someone else never changes it unasked. It was not changed. Upgrade it only if you mean to work in this file; otherwise open a copy.`,
          view.verification.ok ? `Verified before any change: ${view.verification.evidenceRows} evidence rows and ${view.verification.custodyEntries} custody entries intact.` : `Verification found problems: ${view.verification.problems.map((p) => `${p.where}: ${p.message}`).join(' · ')}`,
        );
      }
    }
    awaitingUpgrade = null;
    // A received case keeps its journal mode: switching it to WAL and back would move two header counters, so the
    // file would no longer hash as it was handed over although nothing in it changed. It changes when the examiner
    // writes to it (a triage, a pin, a collection), never by being opened or looked at.
    const opened = openCase(file, { clock, toolVersion: deps.toolVersion, keepJournalMode: isReceived });
    if (opened.summary.caseId !== provenance.caseId) {
      closeDatabase(opened.db);
      throw new HandlerError('case_mismatch', `${fileName} changed while it was being opened; it was not opened. Open it again.`);
    }
    received = view ? { caseId: opened.summary.caseId, view } : null;
    ctx.setOpen({ file, ...opened });
    return { summary: opened.summary, received: view };
  }

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
      const opened = openCase(entry.file, { keepJournalMode: readProvenance(entry.file, { examiner: settingsExaminer(), toolVersion: deps.toolVersion }).reasons.length > 0 });
      if (opened.summary.caseId !== caseId) {
        closeDatabase(opened.db);
        throw new HandlerError('case_mismatch', `${entry.fileName} now holds a different case; it was not opened.`);
      }
      ctx.setOpen({ file: entry.file, ...opened });
      return opened.summary;
    },
    openFile: async ({ path: typed, upgrade }) => {
      if (upgrade) {
        if (!awaitingUpgrade) throw new HandlerError('invalid_input', 'No received case is waiting to be upgraded. Open the case file again.');
        return openFromDisk(awaitingUpgrade, true);
      }
      let file: string;
      if (deps.chooseCaseFile) {
        if (typed !== undefined) throw new HandlerError('invalid_input', 'path: the desktop app picks the case file in its own dialog; it takes no path from the page.');
        const chosen = await deps.chooseCaseFile();
        if (!chosen) throw new HandlerError('cancelled', 'No file was chosen; no case was opened.');
        file = chosen;
      } else {
        file = typedCaseFile(typed);
      }
      return openFromDisk(file, false);
    },
    received: async () => {
      const open = ctx.openCase();
      return open && received?.caseId === open.summary.caseId ? received.view : null;
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
      const report = await ctx.verifyFile(file);
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
