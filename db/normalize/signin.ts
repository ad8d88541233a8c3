// Any process (pure): Entra sign-ins from Graph (signIn), Log Analytics SigninLogs rows and portal CSV rows, as sign_in rows and events.
import type { JsonObject } from '../json';
import { normalizeOperation } from './operation';
import { cleanIp, FieldReader, isObject, LogRecordError, toJsonObject, type NormalizedEvent } from './record';
import { fromPortalCsv } from './text';
import { readFirstTime, readTime } from './time';

export interface SignInRow {
  id: string;
  createdAt: string | null;
  userId: string | null;
  userPrincipalName: string | null;
  appId: string | null;
  appDisplayName: string | null;
  ipAddress: string | null;
  /** Entra error code: 0 success, 50126 invalid credentials, 50053 locked, 50076/50079 MFA required… */
  errorCode: number | null;
  failureReason: string | null;
  authenticationRequirement: string | null;
  conditionalAccessStatus: string | null;
  isInteractive: boolean | null;
  clientAppUsed: string | null;
  location: JsonObject | null;
  raw: JsonObject;
}

export interface ParsedSignIn {
  row: SignInRow;
  /** Null when the record carries no time (a query export that projected it away): it has no place on the timeline. */
  event: NormalizedEvent | null;
}

export type SignInShape = 'graph' | 'log-analytics' | 'portal-csv';

/** Log Analytics writes this as OperationName; Graph has no operation, so every shape uses it for a user's own sign-in. */
const SIGN_IN_OPERATION = 'Sign-in activity';
/**
 * Graph's other kinds (beta `signInEventTypes`, https://learn.microsoft.com/graph/api/resources/signin?view=graph-rest-beta):
 * a token refreshed without the user (non-interactive) and an app signing in with its own credential (service principal)
 * are events of their own, so that rules about people typing passwords do not count them.
 */
const KIND_OPERATIONS: Record<string, string> = {
  nonInteractiveUser: 'Non-interactive user sign-in',
  servicePrincipal: 'Service principal sign-in',
  managedIdentity: 'Managed identity sign-in',
};

/** The operation of a Graph sign-in, by the first of its signInEventTypes this module knows. */
function operationOf(record: Record<string, unknown>): string {
  const types = Array.isArray(record.signInEventTypes) ? record.signInEventTypes : [];
  for (const t of types) if (typeof t === 'string' && KIND_OPERATIONS[t]) return KIND_OPERATIONS[t];
  return SIGN_IN_OPERATION;
}

/** Which of the shapes a record is: Graph is camelCase, Log Analytics and its CSV export PascalCase. */
export function signInShape(record: Record<string, unknown>): SignInShape {
  return 'Id' in record || 'UserPrincipalName' in record || 'TimeGenerated' in record || 'OperationName' in record ? 'log-analytics' : 'graph';
}

/**
 * One sign-in record of any shape. `csv` marks a portal CSV row (all values text, column names with
 * " [UTC]" and "_dynamic" suffixes). Throws LogRecordError naming the record and field.
 */
export function parseSignIn(record: unknown, index: number, opts: { csv?: boolean } = {}): ParsedSignIn {
  if (!isObject(record)) throw new LogRecordError('sign-in', index, null, '(the record itself)', 'must be an object');
  const source = opts.csv ? fromPortalCsv(record as Record<string, string>) : record;
  return signInShape(source) === 'graph' ? fromGraph(record, index) : fromLogAnalytics(source, record, index, opts.csv === true);
}

function idOf(record: Record<string, unknown>, field: string): string | null {
  const v = record[field];
  return typeof v === 'string' && v !== '' ? v : null;
}

function fromGraph(record: Record<string, unknown>, index: number): ParsedSignIn {
  const r = new FieldReader(record, { source: 'sign-in (Graph signIn)', index, recordId: idOf(record, 'id') });
  const id = r.requiredText('id');
  // Graph always sends createdDateTime: a page without it is not a signIn page.
  const createdAt = readTime(r, 'createdDateTime') ?? r.fail('createdDateTime', 'is missing');
  const status = r.nested('status');
  const row: SignInRow = {
    id,
    createdAt,
    userId: r.text('userId'),
    userPrincipalName: r.text('userPrincipalName'),
    appId: r.text('appId'),
    appDisplayName: r.text('appDisplayName'),
    ipAddress: cleanIp(r.text('ipAddress')),
    errorCode: status?.integer('errorCode') ?? null,
    failureReason: status?.text('failureReason') ?? null,
    authenticationRequirement: r.text('authenticationRequirement'),
    conditionalAccessStatus: r.text('conditionalAccessStatus'),
    isInteractive: r.boolean('isInteractive'),
    clientAppUsed: r.text('clientAppUsed'),
    location: objectOrNull(r.object('location')),
    raw: toJsonObject(record),
  };
  return { row, event: eventOf(row, r.text('resourceId'), r.text('resourceDisplayName'), operationOf(record)) };
}

function fromLogAnalytics(source: Record<string, unknown>, original: Record<string, unknown>, index: number, csv: boolean): ParsedSignIn {
  const shape = csv ? 'sign-in (SigninLogs portal CSV)' : 'sign-in (SigninLogs row)';
  const r = new FieldReader(source, { source: shape, index, recordId: idOf(source, 'Id') });
  const id = r.requiredText('Id');
  const status = r.nested('Status');
  // ResultType is the error code as text ("0", "50126"); Status repeats it with the reason.
  const errorCode = status?.integer('errorCode') ?? r.integer('ResultType');
  const row: SignInRow = {
    id,
    createdAt: readFirstTime(r, 'CreatedDateTime', 'TimeGenerated'),
    userId: r.text('UserId'),
    userPrincipalName: r.text('UserPrincipalName'),
    appId: r.text('AppId'),
    appDisplayName: r.text('AppDisplayName'),
    ipAddress: cleanIp(r.text('IPAddress')),
    errorCode,
    failureReason: status?.text('failureReason') ?? r.text('ResultDescription'),
    authenticationRequirement: r.text('AuthenticationRequirement'),
    conditionalAccessStatus: r.text('ConditionalAccessStatus'),
    isInteractive: r.boolean('IsInteractive'),
    clientAppUsed: r.text('ClientAppUsed'),
    location: objectOrNull(r.object('LocationDetails')),
    raw: toJsonObject(original),
  };
  // Log Analytics' ResourceId is the Azure resource path of the log, not the resource app: ResourceIdentity is.
  return { row, event: eventOf(row, r.text('ResourceIdentity'), r.text('ResourceDisplayName')) };
}

const objectOrNull = (o: Record<string, unknown> | null): JsonObject | null => (o ? toJsonObject(o) : null);

/** Actor: the user, through the client app, from the IP; target: the resource signed in to. */
function eventOf(row: SignInRow, resourceId: string | null, resourceName: string | null, operation = SIGN_IN_OPERATION): NormalizedEvent | null {
  if (row.createdAt === null) return null;
  return {
    at: row.createdAt,
    source: 'signin',
    recordId: row.id,
    operation: normalizeOperation(operation),
    rawOperation: operation,
    result: row.errorCode === null ? 'unknown' : row.errorCode === 0 ? 'success' : 'failure',
    // A service principal's sign-in has no user (Graph sends empty strings): the app is the actor.
    actorUser: row.userPrincipalName || row.userId || null,
    actorAppId: row.appId,
    actorIp: row.ipAddress,
    targetType: resourceId || resourceName ? 'Resource' : null,
    targetId: resourceId,
    targetName: resourceName,
  };
}
