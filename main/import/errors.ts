// Import (CLI, import worker, host): the one error an import raises for bad input — naming the file, the line and the field.

/** Why an import was refused. Every refusal leaves the case file as it was. */
export type ImportErrorCode =
  | 'unrecognised' // the format could not be told from the content (give --format)
  | 'encoding' // not UTF-8 / UTF-16LE text
  | 'truncated' // the file ends inside a record
  | 'too_long' // a line or record longer than the limit
  | 'invalid_record' // a record without the fields its format promises
  | 'date_format' // dates that cannot be read without --date-format
  | 'duplicate' // nothing to do: the file is already in the case
  | 'cancelled'
  | 'io';

export class ImportError extends Error {
  override readonly name = 'ImportError';
  constructor(
    readonly code: ImportErrorCode,
    /** The file's name (never the whole path of the examiner's machine in the case, but here for the message). */
    readonly file: string,
    /** 1-based line where the problem is, when there is one. */
    readonly line: number | null,
    /** The field (column, JSON property path), when there is one. */
    readonly field: string | null,
    readonly problem: string,
  ) {
    super(`${file}${line !== null ? `, line ${line}` : ''}${field !== null ? `, field '${field}'` : ''}: ${problem}`);
  }
}
