// Main process (and workers, CLI): the errors the case file layer raises, with a stable code for the bridge.

export type CaseFileErrorCode =
  | 'exists'
  | 'not_found'
  | 'not_sqlite'
  | 'not_a_case'
  | 'newer_schema'
  | 'damaged'
  | 'invalid_input'
  | 'unreadable';

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
