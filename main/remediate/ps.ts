// Main process / CLI: PowerShell source for remediation requests — values quoted so no name can break out of its
// string, and each request written as the one Graph call or Exchange cmdlet it is.
import type { RemediationRequest } from './model';

/**
 * PowerShell ends a single-quoted string at any of these (the ASCII apostrophe and the Unicode single quotation
 * marks U+2018–U+201B); inside one, a quote is written twice. Nothing else is special in a single-quoted string:
 * no `$` expansion, no backtick escapes, newlines kept as they are.
 */
const SINGLE_QUOTES = /['\u2018\u2019\u201a\u201b]/g;

/** A string as a PowerShell single-quoted literal: `O'Brien` → `'O''Brien'`. */
export function psString(value: string): string {
  return `'${value.replace(SINGLE_QUOTES, (q) => q + q)}'`;
}

/** The variable a `{{secret:password}}` placeholder becomes in a script: generated there, shown once. */
export const PASSWORD_VARIABLE = '$password';

const SECRET = /^\{\{secret:password\}\}$/;
const REF = /^\{\{ref:([^/{}]+)\/([^/{}]+)\/([A-Za-z0-9_.]+)\}\}$/;

/** A `{{ref:<step>/<item>/<field>}}` placeholder, or null. */
export function parseRef(value: string): { stepId: string; itemKey: string; field: string } | null {
  const m = REF.exec(value);
  return m ? { stepId: m[1]!, itemKey: m[2]!, field: m[3]! } : null;
}

/**
 * The PowerShell variable holding a value another step recorded (`{{ref:…}}`): a name made only of letters, digits
 * and underscores, whatever the step id holds, so it can be written unquoted.
 */
export function refVariable(ref: { stepId: string; itemKey: string; field: string }): string {
  return `$ref_${`${ref.stepId}_${ref.itemKey}_${ref.field}`.replace(/[^A-Za-z0-9]/g, '_')}`;
}

/** A string, or the variable it stands for when it is a placeholder. */
function psText(value: string): string {
  if (SECRET.test(value)) return PASSWORD_VARIABLE;
  const ref = parseRef(value);
  return ref ? refVariable(ref) : psString(value);
}

/** Any JSON value as a PowerShell literal: `$null`, `$true`, numbers, quoted strings, `@(…)` arrays, ordered hashtables. */
export function psValue(value: unknown): string {
  if (value === null || value === undefined) return '$null';
  if (typeof value === 'boolean') return value ? '$true' : '$false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`A remediation request holds a number PowerShell cannot write: ${value}.`);
    return String(value);
  }
  if (typeof value === 'string') return psText(value);
  if (Array.isArray(value)) return `@(${value.map(psValue).join(', ')})`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    return `[ordered]@{ ${entries.map(([k, v]) => `${psString(k)} = ${psValue(v)}`).join('; ')} }`;
  }
  throw new Error(`A remediation request holds a value PowerShell cannot write (${typeof value}).`);
}

const CMDLET = /^[A-Z][A-Za-z]+-[A-Z][A-Za-z0-9]+$/;
const PARAMETER = /^[A-Za-z][A-Za-z0-9]*$/;

/** `-Name value` pairs; booleans bound with a colon so switch and boolean parameters both take them. */
export function psParameters(parameters: Record<string, unknown>): string {
  return Object.entries(parameters)
    .map(([name, value]) => {
      if (!PARAMETER.test(name)) throw new Error(`"${name}" is not a PowerShell parameter name.`);
      if (typeof value === 'boolean') return `-${name}:${psValue(value)}`;
      if (Array.isArray(value)) return value.length === 0 ? `-${name} @()` : `-${name} ${value.map(psValue).join(',')}`;
      return `-${name} ${psValue(value)}`;
    })
    .join(' ');
}

/** One Exchange cmdlet call, as ExchangeOnlineManagement runs it. */
export function psCmdlet(cmdlet: string, parameters: Record<string, unknown>): string {
  if (!CMDLET.test(cmdlet)) throw new Error(`"${cmdlet}" is not an Exchange cmdlet name.`);
  const params = psParameters(parameters);
  return params ? `${cmdlet} ${params}` : cmdlet;
}

/** A Graph path as the plan writes it: version, segments, and an already-encoded query (no spaces or quotes of PowerShell's own). */
const GRAPH_PATH = /^\/(v1\.0|beta)\/[A-Za-z0-9/._$~:-]+(\?[A-Za-z0-9=,$&._~%'()*!-]*)?$/;

/** The Graph path as a PowerShell string: placeholders in it become variables (`"/v1.0/…/$($ref_…)"`). */
function psUri(path: string): string {
  const pieces = path.split(/(\{\{ref:[^}]+\}\})/);
  if (pieces.length === 1) return psString(path);
  return `(${pieces.filter((p) => p !== '').map((p) => (parseRef(p) ? refVariable(parseRef(p)!) : psString(p))).join(' + ')})`;
}

/**
 * The request as Microsoft Graph PowerShell or ExchangeOnlineManagement sends it, runnable as written:
 * `Invoke-MgGraphRequest` with the same method, path and body (so the line is the request, one for one), or the cmdlet.
 * `-OutputType PSObject` returns the created object (a policy's id) to the caller.
 */
export function psRequest(request: RemediationRequest): string {
  if (request.api === 'exchange') {
    // A change asks "Are you sure?" unless told not to; the script asks once itself (ShouldProcess, -WhatIf).
    const asks = !/^(Get|Search)-/i.test(request.cmdlet) && !('Confirm' in request.parameters);
    return psCmdlet(request.cmdlet, asks ? { ...request.parameters, Confirm: false } : request.parameters);
  }
  if (!GRAPH_PATH.test(request.path.replace(/\{\{ref:[^}]+\}\}/g, 'ref'))) throw new Error(`"${request.path}" is not a Graph path Peregrine writes.`);
  const body = request.body ? ` -Body (${psValue(request.body)} | ConvertTo-Json -Depth 20 -Compress) -ContentType 'application/json'` : '';
  return `Invoke-MgGraphRequest -Method ${request.method} -Uri ${psUri(request.path)}${body} -OutputType PSObject`;
}
