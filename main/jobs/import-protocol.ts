// Main process and import worker: the messages between them. Paths cross to the worker only; the renderer sees file names.
import type { DateFormat } from '../import/dates';
import type { FormatId } from '../import/formats';
import type { ImportedFile, ImportProgress, ImportResult } from '../import/importer';

export interface ImportJob {
  /** plan: tell each file's format and read every record without writing (the counts); import: store them. */
  mode: 'plan' | 'import';
  caseFile: string;
  paths: string[];
  format: FormatId | null;
  dateFormat: DateFormat | null;
  note: string;
  actor: string;
  /** A collection script's folder: the examiner's own apps in the tenant. */
  engagementApps?: string[];
}

/** Where an import was refused: the file, line and field when known. */
export interface ImportFailure {
  message: string;
  code: string;
  file: string | null;
  line: number | null;
  field: string | null;
}

export type FromImportWorker =
  | { type: 'progress'; progress: ImportProgress }
  | { type: 'done'; result: ImportResult; files: ImportedFile[] }
  | { type: 'failed'; failure: ImportFailure };

export type ToImportWorker = { type: 'cancel' };
