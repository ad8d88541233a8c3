// Main process (and workers, CLI): the errors the case file layer raises, with a stable code for the bridge.

export type CaseFileErrorCode =
  | 'exists'
  | 'not_found'
  | 'not_sqlite'
  | 'not_a_case'
  | 'newer_schema'
  | 'damaged'
  | 'invalid_input'
  | 'unreadable'
  | 'disk_full';

/**
 * A case file that cannot be created, opened or written as asked.
 * `message` names the file by its base name only (it may reach the renderer, which never sees paths)
 * and says what to do; `file` keeps the full path for logs and the CLI.
 */
export class CaseFileError extends Error {
  override readonly name = 'CaseFileError';
  constructor(
    readonly code: CaseFileErrorCode,
    message: string,
    readonly file: string | null = null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** An evidence page whose objects do not have the shape the entity tables need. */
export class EntityShapeError extends Error {
  override readonly name = 'EntityShapeError';
  readonly code = 'invalid_entity';
  constructor(
    message: string,
    readonly evidenceId: number,
    /** Dotted path of the offending field inside the object, e.g. `passwordCredentials.0.keyId`. */
    readonly field: string,
  ) {
    super(message);
  }
}

/**
 * A write to the case that failed because its disk is full (SQLITE_FULL, or ENOSPC underneath) becomes an error that
 * says what to do. The -wal file then holds the latest committed changes: copied or kept alone, the main file reads
 * as damaged, so the message says to keep it beside the case. Anything else is returned as it is.
 */
export function explainCaseError(err: unknown, file: string | null = null): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  if (code !== 'SQLITE_FULL' && code !== 'ENOSPC') return err;
  const name = file ? file.split(/[\\/]/).pop()! : 'the case file';
  const wal = file ? `${name}-wal` : 'the file of the same name ending in -wal';
  return new CaseFileError(
    'disk_full',
    `The disk holding ${name} is full: the last change was not saved (${String(code)}). Free space on that disk, then open the case again. ` +
      `Until then keep ${wal} beside ${file ? 'it' : 'the case'}, and copy both together: it holds the latest saved changes, and without it the case file alone reads as damaged.`,
    file,
    { cause: err },
  );
}
