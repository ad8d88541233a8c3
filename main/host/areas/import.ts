// Main process: imports of files a client exported — planned (formats told, every record read and counted, nothing
// written), then stored in the open case as one run; both in a worker, cancellable. The renderer sees file names only.
import path from 'node:path';
import type { Handlers, ImportFileView, ImportJobView } from '../../../preload/contract';
import { isDateFormat, type DateFormat } from '../../import/dates';
import { FORMAT_IDS, isFormatId, type FormatId } from '../../import/formats';
import { startImportJob, ImportJobError, type RunningImport } from '../../jobs/import-job';
import type { ImportedFile } from '../../import/importer';
import { HandlerError } from '../dispatch';
import type { WorkbenchContext } from './context';

export interface ImportArea {
  handlers: Handlers['import'];
  close(): Promise<void>;
}

interface Job {
  view: ImportJobView;
  caseFile: string;
  paths: string[];
  format: FormatId | null;
  dateFormat: DateFormat | null;
  running: RunningImport | null;
  done: Promise<void> | null;
}

const fileView = (f: ImportedFile): ImportFileView => ({
  name: f.name, size: f.size, format: f.format, label: f.label, detectedBy: f.detectedBy, container: f.container, encoding: f.encoding,
  dateFormat: f.dateFormat, records: f.records, sha256: f.sha256, skipped: f.skipped,
});

export function importArea(ctx: WorkbenchContext): ImportArea {
  const { deps } = ctx;
  const jobs = new Map<string, Job>();
  let active: Job | null = null;
  ctx.addBusyCheck(() => (active?.view.phase === 'importing' ? 'import' : null));
  // Beside the collection worker, built the same way (bundled in the app, TypeScript through tsx elsewhere).
  const entry = () => deps.importWorker ?? { file: path.join(path.dirname(deps.collectionWorker.file), `import-worker${path.extname(deps.collectionWorker.file)}`), execArgv: deps.collectionWorker.execArgv };

  function run(job: Job, mode: 'plan' | 'import', note: string, engagementApps: string[] = []): void {
    const { summary } = ctx.requireCase();
    job.view = { ...job.view, phase: mode === 'plan' ? 'planning' : 'importing', progress: null, error: null };
    const running = startImportJob(
      entry(),
      { mode, caseFile: job.caseFile, paths: job.paths, format: job.format, dateFormat: job.dateFormat, note, actor: summary.examiner, engagementApps },
      (progress) => {
        job.view = { ...job.view, progress };
      },
    );
    job.running = running;
    active = job;
    job.done = running.done.then(
      (result) => {
        job.view = {
          ...job.view,
          phase: mode === 'plan' ? 'planned' : 'done',
          files: result.files.map(fileView),
          ...(mode === 'import' ? { result: { runId: result.runId, records: result.records, window: result.window } } : {}),
        };
      },
      (err: unknown) => {
        const failure = err instanceof ImportJobError ? err.failure : { message: (err as Error).message, code: 'failed', file: null, line: null, field: null };
        job.view = { ...job.view, phase: failure.code === 'cancelled' ? 'cancelled' : 'failed', error: failure };
      },
    ).finally(() => {
      job.running = null;
      if (active === job) active = null;
    });
  }

  const jobOf = (jobId: string): Job => {
    const job = jobs.get(jobId);
    if (!job) throw new HandlerError('unknown_import', 'There is no such import.');
    return job;
  };

  const handlers: Handlers['import'] = {
    plan: async ({ paths, format, dateFormat }) => {
      const { file } = ctx.requireCase();
      if (active) throw new HandlerError('busy', 'An import is under way; wait for it to finish or cancel it.');
      if (format !== undefined && !isFormatId(format)) throw new HandlerError('invalid_input', `The format must be one of ${FORMAT_IDS.join(', ')}.`);
      if (dateFormat !== undefined && !isDateFormat(dateFormat)) throw new HandlerError('invalid_input', 'The date format must be one of iso, M/d/yyyy, d/M/yyyy, d.M.yyyy, yyyy/M/d.');
      let chosen: string[];
      if (deps.chooseImportFiles) {
        // The app: main's open dialog chooses; the renderer never names a path.
        if (paths) throw new HandlerError('invalid_input', 'The app chooses the files to import in its own dialog.');
        const picked = await deps.chooseImportFiles();
        if (!picked || picked.length === 0) throw new HandlerError('cancelled', 'No file was chosen.');
        chosen = picked;
      } else {
        if (!paths) throw new HandlerError('invalid_input', 'Give the paths of the files or folders to import.');
        chosen = paths;
      }
      const jobId = crypto.randomUUID();
      const job: Job = {
        view: { jobId, phase: 'planning', files: [], progress: null, result: null, error: null },
        caseFile: file, paths: chosen, format: format ?? null, dateFormat: dateFormat !== undefined && isDateFormat(dateFormat) ? dateFormat : null, running: null, done: null,
      };
      jobs.set(jobId, job);
      run(job, 'plan', '');
      return job.view;
    },
    status: async ({ jobId }) => jobOf(jobId).view,
    start: async ({ jobId, note, engagementApps }) => {
      const job = jobOf(jobId);
      const { file } = ctx.requireCase();
      if (job.caseFile !== file) throw new HandlerError('invalid_input', 'That import was planned for another case.');
      if (job.view.phase !== 'planned') throw new HandlerError('invalid_input', 'Only a planned import whose every record was read can be started.');
      if (active) throw new HandlerError('busy', 'An import is under way; wait for it to finish or cancel it.');
      run(job, 'import', note, (engagementApps ?? []).map((a) => a.toLowerCase()));
      return job.view;
    },
    cancel: async ({ jobId }) => {
      const job = jobOf(jobId);
      job.running?.cancel();
      await job.done;
      return job.view;
    },
  };

  return {
    handlers,
    async close() {
      active?.running?.cancel();
      await active?.done;
    },
  };
}

