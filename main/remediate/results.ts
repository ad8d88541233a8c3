// Main process / CLI: `peregrine remediate import-results` — the result file the PowerShell script wrote, checked
// field by field against the plan and turned into outcomes: done outside Peregrine, failed or skipped.
import { z } from 'zod';
import type { Outcome, PlannedStep } from './model';
import { RESULTS_FORMAT, SCRIPT_OUTCOMES, type ScriptOutcome } from './powershell';

/** A result file is small (one line per item); anything far larger is not one. */
export const MAX_RESULTS_BYTES = 5 * 1024 * 1024;

export class ResultsFileError extends Error {
  constructor(readonly file: string, readonly line: number | null, readonly field: string | null, detail: string) {
    super(`${file}${line !== null ? `:${line}` : ''}: ${field ? `${field}: ` : ''}${detail}`);
    this.name = 'ResultsFileError';
  }
}

const text = (max: number) => z.string().max(max, `longer than ${max} characters`);

const resultSchema = z.strictObject({
  stepId: text(300).min(1, 'empty'),
  itemKey: text(300).min(1, 'empty'),
  outcome: z.enum(SCRIPT_OUTCOMES, { error: `not one of ${SCRIPT_OUTCOMES.join(', ')}` }),
  at: z.string().refine((v) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(v) && !Number.isNaN(Date.parse(v)), 'not an ISO 8601 date-time'),
  account: text(320).nullable(),
  note: text(4000),
});

const fileSchema = z.strictObject({
  format: z.literal(RESULTS_FORMAT, { error: `not "${RESULTS_FORMAT}"` }),
  tenantId: text(100),
  planSha256: z.string().regex(/^[0-9a-f]{64}$/, 'not a sha256'),
  results: z.array(resultSchema),
});

export interface ImportedResult {
  stepId: string;
  itemKey: string;
  outcome: Extract<Outcome, 'done-outside' | 'failed' | 'skipped'>;
  at: string;
  account: string | null;
  note: string;
  /** Where it came from: `file:line`. */
  source: string;
}

export interface ImportedResults {
  tenantId: string;
  planSha256: string;
  results: ImportedResult[];
  /** Items the script only described (-WhatIf or declined): nothing happened, nothing to record. */
  notRun: number;
}

/**
 * What each script outcome becomes: written (or found gone) outside Peregrine is done-outside until a collection
 * verifies it; a changed object or an error is failed; a step the consultant skipped stays skipped.
 */
const OUTCOME: Record<ScriptOutcome, ImportedResult['outcome'] | null> = {
  done: 'done-outside', 'already-absent': 'done-outside', failed: 'failed', changed: 'failed', skipped: 'skipped', whatif: null,
};

/**
 * Reads a result file: valid JSON of the script's format, for this tenant, every step id and item key one of the
 * plan's. Any problem is a ResultsFileError naming the line and the field; nothing is returned in part.
 */
export function parseResults(file: string, content: string, plan: readonly PlannedStep[], tenantId: string): ImportedResults {
  if (content.length > MAX_RESULTS_BYTES) throw new ResultsFileError(file, null, null, `larger than ${MAX_RESULTS_BYTES / 1024 / 1024} MiB: not a result file of this plan`);
  const body = content.replace(/^\uFEFF/, '');
  let lines: Map<string, number>;
  try {
    lines = jsonLines(body);
  } catch (error) {
    if (error instanceof JsonSyntaxError) throw new ResultsFileError(file, error.line, null, `not JSON: ${error.message}`);
    throw error;
  }
  const json: unknown = JSON.parse(body);
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = pathText(issue.path);
    throw new ResultsFileError(file, lineOf(lines, issue.path), path || null, issue.message);
  }
  const doc = parsed.data;
  if (doc.tenantId.toLowerCase() !== tenantId.toLowerCase()) {
    throw new ResultsFileError(file, lineOf(lines, ['tenantId']), 'tenantId', `the results are for tenant ${doc.tenantId}, this case is tenant ${tenantId}`);
  }
  const items = new Map(plan.map((s) => [s.id, new Set(s.items.map((i) => i.key))]));
  const results: ImportedResult[] = [];
  let notRun = 0;
  for (const [n, r] of doc.results.entries()) {
    const keys = items.get(r.stepId);
    if (!keys) throw new ResultsFileError(file, lineOf(lines, ['results', n, 'stepId']), `results[${n}].stepId`, `no step ${JSON.stringify(r.stepId)} in this case's plan`);
    if (!keys.has(r.itemKey)) throw new ResultsFileError(file, lineOf(lines, ['results', n, 'itemKey']), `results[${n}].itemKey`, `step ${r.stepId} has no item ${JSON.stringify(r.itemKey)}`);
    const outcome = OUTCOME[r.outcome];
    if (outcome === null) {
      notRun++;
      continue;
    }
    results.push({
      stepId: r.stepId, itemKey: r.itemKey, outcome, at: new Date(Date.parse(r.at)).toISOString(), account: r.account,
      note: r.outcome === 'done' || r.outcome === 'failed' || r.outcome === 'skipped' ? r.note : `${r.outcome}: ${r.note}`,
      source: `${file}:${lineOf(lines, ['results', n]) ?? '?'}`,
    });
  }
  return { tenantId: doc.tenantId, planSha256: doc.planSha256, results, notRun };
}

function pathText(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
}

/** Where a text stops being JSON: the line and what was found there. */
class JsonSyntaxError extends Error {
  constructor(readonly line: number, message: string) {
    super(message);
  }
}

/**
 * Reads a JSON text strictly (RFC 8259) and gives the line each value starts on, by its path (`results/3/outcome`);
 * where the text is not JSON, a JsonSyntaxError with the line. JSON.parse then makes the values.
 */
function jsonLines(body: string): Map<string, number> {
  const out = new Map<string, number>();
  let i = 0;
  let line = 1;
  const fail = (what: string): never => {
    throw new JsonSyntaxError(line, i >= body.length ? `${what}, found the end of the file` : `${what}, found ${JSON.stringify(body[i])}`);
  };
  const skip = () => {
    while (i < body.length && ' \t\r\n'.includes(body[i]!)) {
      if (body[i] === '\n') line++;
      i++;
    }
  };
  const expect = (c: string) => {
    skip();
    if (body[i] !== c) fail(`expected ${JSON.stringify(c)}`);
    i++;
  };
  const string = (): string => {
    const start = i;
    if (body[i] !== '"') fail('expected a string');
    i++;
    while (i < body.length && body[i] !== '"') {
      if (body.charCodeAt(i) < 0x20) fail('a control character inside a string');
      i += body[i] === '\\' ? 2 : 1;
    }
    if (i >= body.length) fail('an unterminated string');
    i++;
    try {
      return JSON.parse(body.slice(start, i)) as string;
    } catch {
      return fail('a bad escape in a string');
    }
  };
  const value = (path: string, depth = 0): void => {
    if (depth > 16) fail('nesting deeper than a result file has');
    skip();
    out.set(path, line);
    const c = body[i];
    if (c === '{' || c === '[') {
      i++;
      skip();
      const close = c === '{' ? '}' : ']';
      if (body[i] === close) {
        i++;
        return;
      }
      for (let n = 0; ; n++) {
        skip();
        let key = String(n);
        if (c === '{') {
          key = string();
          expect(':');
        }
        value(path ? `${path}/${key}` : key, depth + 1);
        skip();
        if (body[i] === ',') {
          i++;
          continue;
        }
        if (body[i] === close) {
          i++;
          return;
        }
        fail(`expected "," or "${close}"`);
      }
    }
    if (c === '"') return void string();
    const literal = /^(true|false|null|-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?)/.exec(body.slice(i, i + 400));
    if (!literal) fail('expected a value');
    i += literal![0].length;
  };
  value('');
  skip();
  if (i < body.length) fail('expected the end of the file');
  return out;
}

/** The line of the deepest value on the path that the file has. */
function lineOf(lines: Map<string, number>, path: readonly PropertyKey[]): number | null {
  for (let n = path.length; n >= 0; n--) {
    const found = lines.get(path.slice(0, n).map(String).join('/'));
    if (found !== undefined) return found;
  }
  return null;
}
