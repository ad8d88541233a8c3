// Vitest (plain Node): the remediation engine item by item against an in-process tenant — dry run, the object changed,
// already absent, 403, throttling, a connection lost mid-bulk and the safe re-run, never-touched objects, the
// generated password kept out of the case, and every action a custody entry that verify rebuilds.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Database } from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCase, openCase } from '../../main/case/case';
import { verifyCaseFile } from '../../main/case/verify';
import { closeDatabase } from '../../db/connection';
import { listActions, listRemediationEvidence, recordPlannedSteps } from '../../db/queries/remediation';
import { HttpError, type HttpRequest, type HttpResponse, type HttpTransport } from '../../main/http/https';
import { createWriteGuard } from '../../main/remediate/guard';
import { createTenantClient } from '../../main/remediate/tenant';
import { createEngine, itemResults, type EngineDeps } from '../../main/remediate/engine';
import { stepState, type PlannedStep, type StepItem } from '../../main/remediate/model';
import { generatePassword } from '../../main/remediate/secrets';

const BASE = 'https://graph.example';
const SP = 'aaaaaaaa-0000-0000-0000-000000000001';
const USER = 'bbbbbbbb-0000-0000-0000-000000000002';

/** A tiny tenant: objects by Graph path; GET / PATCH / DELETE as Graph answers them; faults queued per request. */
function fakeTenant(objects: Record<string, Record<string, unknown>>) {
  const sent: HttpRequest[] = [];
  const faults: { match: (r: HttpRequest) => boolean; answer: () => HttpResponse | Error }[] = [];
  const json = (status: number, body: unknown, headers: Record<string, string> = {}): HttpResponse => ({ status, headers: { 'content-type': 'application/json', ...headers }, body: Buffer.from(JSON.stringify(body)) });
  const transport: HttpTransport = async (req) => {
    sent.push(req);
    const fault = faults.findIndex((f) => f.match(req));
    if (fault >= 0) {
      const answer = faults.splice(fault, 1)[0]!.answer();
      if (answer instanceof Error) throw answer;
      return answer;
    }
    const url = new URL(req.url);
    const key = url.pathname;
    const object = objects[key];
    if (!object) return json(404, { error: { code: 'Request_ResourceNotFound', message: `Resource '${key}' does not exist.` } });
    if (req.method === 'GET') return json(200, object);
    if (req.method === 'DELETE') {
      delete objects[key];
      return { status: 204, headers: {}, body: Buffer.alloc(0) };
    }
    if (req.method === 'PATCH') {
      const body = JSON.parse(String(req.body)) as Record<string, unknown>;
      Object.assign(object, body.passwordProfile ? { lastPasswordChangeDateTime: new Date().toISOString() } : body);
      return { status: 204, headers: { date: new Date().toUTCString() }, body: Buffer.alloc(0) };
    }
    return json(400, { error: { code: 'BadRequest', message: 'not simulated' } });
  };
  return { transport, sent, objects, fault: (match: (r: HttpRequest) => boolean, answer: () => HttpResponse | Error) => faults.push({ match, answer }), json };
}

const disableItem = (id: string, plannedEnabled = true): StepItem => ({
  key: id, target: { kind: 'servicePrincipal', id, name: `app ${id.slice(-1)}` },
  read: { api: 'graph', method: 'GET', path: `/v1.0/servicePrincipals/${id}` },
  plannedOn: { accountEnabled: plannedEnabled },
  writes: [{ api: 'graph', method: 'PATCH', path: `/v1.0/servicePrincipals/${id}`, body: { accountEnabled: false } }],
  expect: { equals: { accountEnabled: false } },
  powershell: [], undo: null,
});

const deleteItem = (id: string): StepItem => ({
  key: id, target: { kind: 'roleAssignment', id, name: null },
  read: { api: 'graph', method: 'GET', path: `/v1.0/roleManagement/directory/roleAssignments/${id}` },
  plannedOn: {},
  writes: [{ api: 'graph', method: 'DELETE', path: `/v1.0/roleManagement/directory/roleAssignments/${id}` }],
  expect: { absent: true },
  powershell: [], undo: null,
});

function step(id: string, target: string, items: StepItem[], extra: Partial<PlannedStep> = {}): PlannedStep {
  return {
    id, phase: 'contain', order: 1, action: 'sp.disable', title: id, why: 'test', findingKeys: ['k'], target: { kind: 'servicePrincipal', id: target, name: 'app' }, items,
    needs: { graphScopes: ['Application.ReadWrite.All'], exchangeRoles: [], directoryRoles: ['Cloud Application Administrator'] }, risk: 'low', destructive: false, after: [],
    source: { runId: 'r', evidenceId: null, evidenceSha256: null }, ...extra,
  };
}

describe('the remediation engine', () => {
  let dir: string;
  let file: string;
  let db: Database;
  let waits: number[];
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-remediate-'));
    file = path.join(dir, 'case.peregrine');
    ({ db } = createCase(file, { name: 'Remediation', examiner: 'Examiner' }, { clock: () => new Date(), toolVersion: 'test' }));
    waits = [];
  });
  afterEach(() => {
    closeDatabase(db);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function engine(tenant: ReturnType<typeof fakeTenant>, over: Partial<EngineDeps> = {}) {
    const guard = createWriteGuard(tenant.transport, ['graph.example']);
    const client = createTenantClient({ transport: guard.transport, graphBaseUrl: BASE, graphToken: async () => 'token-value', sleep: async (ms) => void waits.push(ms) });
    return createEngine({
      db, client, guard, account: 'remediator@contoso.example', actor: 'Examiner', clock: () => new Date(),
      protectedIds: new Set(), standingIds: new Set([SP, USER, 'sp-2', 'sp-3', 'sp-4']), ...over,
    });
  }
  const writes = (t: ReturnType<typeof fakeTenant>) => t.sent.filter((r) => r.method !== 'GET');

  it('a dry run reads and records but writes nothing; a write run then verifies from a second read', async () => {
    const tenant = fakeTenant({ [`/v1.0/servicePrincipals/${SP}`]: { id: SP, accountEnabled: true } });
    const s = step(`sp.disable:${SP}`, SP, [disableItem(SP)]);
    recordPlannedSteps(db, [s], { at: new Date().toISOString(), actor: 'Examiner' });
    const dry = await engine(tenant).runStep(s, 'dry-run');
    expect(dry.map((r) => r.outcome)).toEqual(['dry-run']);
    expect(writes(tenant)).toEqual([]);
    expect(tenant.objects[`/v1.0/servicePrincipals/${SP}`]!.accountEnabled).toBe(true);

    const run = await engine(tenant).runStep(s, 'write');
    expect(run.map((r) => r.outcome)).toEqual(['verified']);
    expect(writes(tenant).map((r) => `${r.method} ${new URL(r.url).pathname} ${String(r.body)}`)).toEqual([`PATCH /v1.0/servicePrincipals/${SP} {"accountEnabled":false}`]);
    const actions = listActions(db, s.id);
    expect(actions.map((a) => a.outcome)).toEqual(['dry-run', 'verified']);
    const last = actions[1]!;
    expect(last.account).toBe('remediator@contoso.example');
    expect(last.beforeSha256).not.toBe(last.afterSha256);
    expect(listRemediationEvidence(db, s.id).filter((e) => last.evidence.some((x) => x.id === e.id)).map((e) => e.kind)).toEqual(['read-before', 'write', 'read-after']);
    // The custody projection and the evidence hashes hold.
    expect(verifyCaseFile(file).problems).toEqual([]);

    // A re-run does nothing: the item is verified.
    const before = tenant.sent.length;
    const again = await engine(tenant).runStep(s, 'write');
    expect(again.map((r) => [r.outcome, r.unchanged])).toEqual([['verified', true]]);
    expect(tenant.sent.length).toBe(before);
  });

  it('stops with `changed`, naming the field, when the live object is not what the step was planned on', async () => {
    const tenant = fakeTenant({ [`/v1.0/servicePrincipals/${SP}`]: { id: SP, accountEnabled: true, appId: 'new-app-id' } });
    const item = { ...disableItem(SP), plannedOn: { accountEnabled: true, appId: 'old-app-id' } };
    const [r] = await engine(tenant).runStep(step('s', SP, [item]), 'write');
    expect(r!.outcome).toBe('changed');
    expect(r!.note).toContain('appId: planned "old-app-id", now "new-app-id"');
    expect(writes(tenant)).toEqual([]);
  });

  it('records an object gone before the write, or during it, as already absent, not as a failure', async () => {
    const gone = 'cccccccc-0000-0000-0000-000000000009';
    const during = 'dddddddd-0000-0000-0000-000000000009';
    const tenant = fakeTenant({ [`/v1.0/roleManagement/directory/roleAssignments/${during}`]: { id: during } });
    tenant.fault((r) => r.method === 'DELETE', () => tenant.json(404, { error: { code: 'Request_ResourceNotFound', message: 'gone' } }));
    const s = step('roles', SP, [deleteItem(gone), deleteItem(during)]);
    const results = await engine(tenant).runStep(s, 'write');
    expect(results.map((r) => r.outcome)).toEqual(['already-absent', 'already-absent']);
    expect(stepState(itemResults(db, s))).toBe('verified');
  });

  it('a 403 fails the item and says which scopes and roles the step needs', async () => {
    const tenant = fakeTenant({ [`/v1.0/servicePrincipals/${SP}`]: { id: SP, accountEnabled: true } });
    tenant.fault((r) => r.method === 'PATCH', () => tenant.json(403, { error: { code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' } }));
    const [r] = await engine(tenant).runStep(step('s', SP, [disableItem(SP)]), 'write');
    expect(r!.outcome).toBe('failed');
    expect(r!.note).toMatch(/HTTP 403 Authorization_RequestDenied: Insufficient privileges.*Application\.ReadWrite\.All.*Cloud Application Administrator/);
  });

  it('honours Retry-After on 429 and then writes', async () => {
    const tenant = fakeTenant({ [`/v1.0/servicePrincipals/${SP}`]: { id: SP, accountEnabled: true } });
    tenant.fault((r) => r.method === 'PATCH', () => tenant.json(429, { error: { code: 'TooManyRequests', message: 'slow down' } }, { 'retry-after': '7' }));
    const [r] = await engine(tenant).runStep(step('s', SP, [disableItem(SP)]), 'write');
    expect(r!.outcome).toBe('verified');
    expect(waits).toEqual([7000]);
    expect(writes(tenant)).toHaveLength(2);
  });

  it('a connection lost in the middle of a bulk step fails that item only; the re-run does only what is left', async () => {
    const ids = ['sp-2', 'sp-3', 'sp-4'];
    const tenant = fakeTenant(Object.fromEntries(ids.map((id) => [`/v1.0/servicePrincipals/${id}`, { id, accountEnabled: true }])));
    tenant.fault((r) => r.method === 'PATCH' && r.url.endsWith('sp-3'), () => new HttpError('socket hang up', 'x', 'ECONNRESET'));
    const s = step('bulk', SP, ids.map((id) => disableItem(id)));
    const first = await engine(tenant).runStep(s, 'write');
    expect(first.map((r) => r.outcome)).toEqual(['verified', 'failed', 'verified']);
    expect(first[1]!.note).toMatch(/connection was lost.*Run the step again/);
    expect(stepState(itemResults(db, s))).toBe('failed');
    tenant.sent.length = 0;
    const second = await engine(tenant).runStep(s, 'write');
    expect(second.map((r) => [r.itemKey, r.outcome, r.unchanged])).toEqual([['sp-2', 'verified', true], ['sp-3', 'verified', false], ['sp-4', 'verified', true]]);
    expect(tenant.sent.map((r) => `${r.method} ${new URL(r.url).pathname}`)).toEqual(['GET /v1.0/servicePrincipals/sp-3', 'PATCH /v1.0/servicePrincipals/sp-3', 'GET /v1.0/servicePrincipals/sp-3']);
    expect(stepState(itemResults(db, s))).toBe('verified');
  });

  it('a write the tenant applied but whose answer was lost is verified by the re-run, without sending it again', async () => {
    const tenant = fakeTenant({ [`/v1.0/servicePrincipals/${SP}`]: { id: SP, accountEnabled: true } });
    tenant.fault((r) => r.method === 'PATCH', () => {
      tenant.objects[`/v1.0/servicePrincipals/${SP}`]!.accountEnabled = false;
      return new HttpError('Connection closed before the response was complete.', 'x', 'ECONNRESET');
    });
    const s = step('lost', SP, [disableItem(SP)]);
    expect((await engine(tenant).runStep(s, 'write')).map((r) => r.outcome)).toEqual(['failed']);
    const sentWrite = listRemediationEvidence(db, s.id).find((e) => e.kind === 'write')!;
    expect([sentWrite.status, sentWrite.requestBody]).toEqual([0, '{"accountEnabled":false}']);
    tenant.sent.length = 0;
    const [again] = await engine(tenant).runStep(s, 'write');
    expect([again!.outcome, again!.note]).toEqual(['verified', 'The tenant shows the change an earlier run of this step sent; nothing more was written.']);
    expect(writes(tenant)).toEqual([]);
  });

  it('never touches a protected object or one no standing finding names, whatever the plan says', async () => {
    const tenant = fakeTenant({ [`/v1.0/servicePrincipals/${SP}`]: { id: SP, accountEnabled: true }, '/v1.0/servicePrincipals/sp-9': { id: 'sp-9', accountEnabled: true } });
    const protectedRun = await engine(tenant, { protectedIds: new Set([SP]) }).runStep(step('p', SP, [disableItem(SP)]), 'write');
    const unnamed = await engine(tenant).runStep(step('u', 'sp-9', [disableItem('sp-9')]), 'write');
    expect([...protectedRun, ...unnamed].map((r) => r.outcome)).toEqual(['skipped', 'skipped']);
    expect(protectedRun[0]!.note).toMatch(/Never touched/);
    expect(unnamed[0]!.note).toMatch(/no finding still standing names/);
    expect(tenant.sent).toEqual([]);
  });

  it('refuses a step whose `after` step is not verified yet, and runs it once it is', async () => {
    const tenant = fakeTenant({ [`/v1.0/servicePrincipals/${SP}`]: { id: SP, accountEnabled: true }, '/v1.0/servicePrincipals/sp-2': { id: 'sp-2', accountEnabled: true } });
    const first = step('first', SP, [disableItem(SP)]);
    const second = step('second', 'sp-2', [disableItem('sp-2')], { after: ['first'] });
    const plan = new Map([[first.id, first], [second.id, second]]);
    const e = engine(tenant);
    await expect(e.runStep(second, 'write', plan)).rejects.toThrow(/runs after first, which is planned/);
    const results = await e.runSteps([first, second], 'write', plan);
    expect(results.map((r) => [r.step.id, r.blocked, r.items.map((i) => i.outcome)])).toEqual([['first', null, ['verified']], ['second', null, ['verified']]]);
  });

  it('sends a generated password once, shows it once, and keeps it out of evidence, custody and the file', async () => {
    const tenant = fakeTenant({ [`/v1.0/users/${USER}`]: { id: USER, lastPasswordChangeDateTime: '2020-01-01T00:00:00Z' } });
    const item: StepItem = {
      key: USER, target: { kind: 'user', id: USER, name: 'Nestor' }, read: { api: 'graph', method: 'GET', path: `/v1.0/users/${USER}` }, plannedOn: {},
      writes: [{ api: 'graph', method: 'PATCH', path: `/v1.0/users/${USER}`, body: { passwordProfile: { password: '{{secret:password}}', forceChangePasswordNextSignIn: true } } }],
      expect: { notBefore: { path: 'lastPasswordChangeDateTime' } }, powershell: [], undo: null,
    };
    const shown: string[] = [];
    const [r] = await engine(tenant, { onSecret: (s) => shown.push(s.password) }).runStep(step('reset', USER, [item]), 'write');
    expect(r!.outcome).toBe('verified');
    expect(shown).toHaveLength(1);
    const password = shown[0]!;
    expect(password).toMatch(/^.{24}$/);
    expect(JSON.parse(String(writes(tenant)[0]!.body))).toEqual({ passwordProfile: { password, forceChangePasswordNextSignIn: true } });
    const stored = listRemediationEvidence(db).find((e) => e.kind === 'write')!;
    expect(stored.requestBody).toBe('{"passwordProfile":{"password":"[redacted]","forceChangePasswordNextSignIn":true}}');
    closeDatabase(db);
    for (const f of [file, `${file}-wal`]) if (fs.existsSync(f)) expect(fs.readFileSync(f).includes(password)).toBe(false);
    // afterEach closes it again.
    ({ db } = openCase(file));
  });
});

describe('generatePassword', () => {
  it('draws at least 20 characters with every class, and refuses a shorter one', () => {
    for (let i = 0; i < 50; i++) {
      const p = generatePassword();
      expect(p).toHaveLength(24);
      for (const re of [/[A-Z]/, /[a-z]/, /[2-9]/, /[!#$%*+\-=?@^_]/]) expect(p).toMatch(re);
    }
    expect(new Set(Array.from({ length: 50 }, () => generatePassword())).size).toBe(50);
    expect(() => generatePassword(12)).toThrow(/at least 20/);
  });
});
