// Main process: one entry for every bridge call on either transport — known channel, zod-parsed input, errors as data.
import { explainCaseError } from '../../db/errors';
import { withoutPaths } from './static-files';
import { channelSchema, type ApiErrorShape, type Handlers, type Result } from '../../preload/contract';

/** A refusal a handler means to show the consultant as it is. */
export class HandlerError extends Error {
  constructor(readonly code: string, message: string, readonly detail?: string) {
    super(message);
    this.name = 'HandlerError';
  }
}

export interface DispatchLog {
  (entry: { channel: string; ok: boolean; code?: string; ms: number }): void;
}

export async function dispatch(handlers: Handlers, channel: string, rawInput: unknown, log?: DispatchLog): Promise<Result<unknown>> {
  const started = performance.now();
  const done = (result: Result<unknown>) => {
    log?.({ channel, ok: result.ok, code: result.ok ? undefined : result.error.code, ms: Math.round(performance.now() - started) });
    return result;
  };
  const schema = channelSchema(channel);
  if (!schema) return done(failure({ code: 'unknown_channel', message: `Unknown request "${String(channel).slice(0, 80)}".` }));
  const parsed = schema.safeParse(rawInput ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join('.') || '(input)';
    return done(failure({ code: 'invalid_input', message: `${field}: ${issue.message}`, detail: JSON.stringify(parsed.error.issues.slice(0, 5)) }));
  }
  const [ns, method] = channel.split('.') as [keyof Handlers, string];
  const handler = (handlers[ns] as Record<string, (input: unknown) => Promise<unknown>>)[method]!;
  try {
    return done({ ok: true, value: await handler(parsed.data) });
  } catch (err) {
    if (err instanceof HandlerError) return done(failure({ code: err.code, message: err.message, detail: err.detail }));
    // Anything else: its words, but never a stack trace or an absolute path (the page is not to learn the machine's layout).
    const explained = explainCaseError(err);
    const e = (explained instanceof Error ? explained : { message: typeof explained === 'string' ? explained : '' }) as Partial<Error> & { code?: unknown };
    const code = typeof e.code === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(e.code) ? e.code : 'internal';
    const name = e.name && e.name !== 'Error' ? e.name : undefined;
    return done(failure({ code, message: withoutPaths(e.message || 'Something went wrong.'), detail: name }));
  }
}

function failure(error: ApiErrorShape): Result<never> {
  return { ok: false, error };
}
