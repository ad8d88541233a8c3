// Vitest (plain Node): the workbench's evidence channels through dispatch on a contoso case collected twice from the
// simulator, with the tenant changed in between (a malicious connector deleted and made again under its name, a
// transport rule removed, a mailbox's forwarding changed) — pages sorted and filtered in SQL, bad input refused, each
// object's record and history across the collections, and the overview's live and removed objects.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../../main/host/dispatch';
import { createWorkbench, type Workbench } from '../../main/host/workbench';
import { tsxWorkerEntry } from '../../main/jobs/tsx-entry';
import { openCase } from '../../main/case/case';
import { closeDatabase } from '../../db/connection';
import { collectedCase, type CollectedCase } from '../support/collected-case';
import { GRAPH_SOURCES, EXCHANGE_SOURCES } from '../../main/collect/sources';
import { KINDS } from '../../db/queries/browse';
import { EVIDENCE_KINDS } from '../../preload/evidenceKinds';
import type { CaseOverview, CaseSummary, EvidenceKindView, EvidenceObjectView, EvidencePage, Result } from '../../preload/contract';

let collected: CollectedCase;
let dir: string;
let workbench: Workbench;
let recreated: { name: string; oldGuid: string; newGuid: string };
let removedRule: { guid: string; name: string };
let forwardingUpn: string;

const call = async <T>(channel: string, input: unknown = {}) => (await dispatch(workbench.handlers, channel, input)) as Result<T>;
const ok = async <T>(channel: string, input: unknown = {}): Promise<T> => {
  const r = await call<T>(channel, input);
  if (!r.ok) throw new Error(`${channel}: ${r.error.code} ${r.error.message}`);
  return r.value;
};

beforeAll(async () => {
  collected = await collectedCase({ scenario: 'contoso', seed: 1, eventsPerUserPerDay: 0.5 });
  const state = collected.sim.exchange.state;
  // Between the collections: the attacker's connector is deleted and made again under its name (a new Guid), one of
  // its transport rules is removed, and a mailbox starts forwarding.
  const connector = state.inboundConnectors.find((c) => collected.sim.groundTruth.exchange!.maliciousInboundConnectors.some((m) => m.guid === c.guid))!;
  const spec = state.removeInboundConnector(connector.guid)!;
  const newGuid = '0badc0de-1111-4222-8333-444455556666';
  state.inboundConnectors.push({ ...spec, guid: newGuid, createdMs: spec.createdMs + 86_400_000, changedMs: spec.createdMs + 86_400_000 });
  recreated = { name: connector.name, oldGuid: connector.guid, newGuid };
  const rule = collected.sim.groundTruth.exchange!.maliciousTransportRules[0]!;
  state.removeTransportRule(rule.guid);
  removedRule = { guid: rule.guid, name: rule.name };
  const user = state.mailboxUsers().find((u) => !state.mailbox(u).forwardingSmtpAddress)!;
  state.setMailbox(user, { forwardingSmtpAddress: 'smtp:drop@external.example', deliverToMailboxAndForward: false }, Date.now());
  forwardingUpn = state.mailbox(user).userPrincipalName;
  await collected.collectAgain();

  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-evidence-wb-'));
  const file = path.join(dir, 'cases', 'contoso.peregrine');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  collected.db.prepare('VACUUM INTO ?').run(file);
  const { db, summary } = openCase(file);
  closeDatabase(db);
  fs.mkdirSync(path.join(dir, 'home'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'home', 'recent-cases.json'), JSON.stringify([{ caseId: summary.caseId, name: summary.name, fileName: summary.fileName, lastOpenedAt: new Date().toISOString(), file }]));
  workbench = createWorkbench({
    host: 'browser', toolVersion: '0.0.0-test', casesDir: path.join(dir, 'cases'), homeDir: path.join(dir, 'home'), keyDir: path.join(dir, 'keys'),
    environment: null, collectionWorker: tsxWorkerEntry(),
  });
  await ok<CaseSummary>('case.open', { caseId: summary.caseId });
}, 300_000);

afterAll(async () => {
  await workbench?.close();
  await collected?.dispose();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('evidence kinds', () => {
  it('reads each kind from the source that collects it', () => {
    const snapshotOf = new Map<string, string>();
    for (const s of [...GRAPH_SOURCES, ...EXCHANGE_SOURCES]) for (const e of [s.snapshot ?? []].flat()) snapshotOf.set(e, s.source);
    snapshotOf.set('object:inboxRule', 'exo.inboxRules');
    for (const [kind, def] of Object.entries(KINDS)) {
      const entity = kind === 'application' || kind === 'servicePrincipal' ? kind : `object:${kind}`;
      expect(snapshotOf.get(entity), kind).toBe(def.source);
    }
  });

  it('counts every kind in the newest collection that read it, as the table holds it', async () => {
    const kinds = await ok<EvidenceKindView[]>('evidence.kinds');
    expect(kinds.map((k) => k.kind)).toEqual([...EVIDENCE_KINDS]);
    const { db } = openCase(collected.file, { readonly: true });
    try {
      for (const k of kinds) {
        const table = k.kind === 'servicePrincipal' ? 'service_principal' : 'tenant_object';
        const expected = db.prepare(`SELECT count(*) FROM ${table} WHERE run_id = ?${table === 'tenant_object' ? ' AND kind = ?' : ''}`).pluck().get(...[k.runId, ...(table === 'tenant_object' ? [k.kind] : [])]);
        expect(k.count, k.kind).toBe(expected);
      }
    } finally {
      closeDatabase(db);
    }
    expect(kinds.filter((k) => ['servicePrincipal', 'user', 'inboundConnector', 'transportRule', 'mailbox', 'inboxRule'].includes(k.kind)).every((k) => k.count > 0)).toBe(true);
  });
});

describe('evidence.list', () => {
  it('pages a kind sorted in SQL: two pages join to the whole sorted list', async () => {
    const all = await ok<EvidencePage>('evidence.list', { kind: 'user', sort: 'upn', dir: 'asc', limit: 500 });
    expect(all.total).toBeGreaterThan(10);
    const names = all.rows.map((r) => String(r.values.upn).toLowerCase());
    expect(names).toEqual([...names].sort());
    const first = await ok<EvidencePage>('evidence.list', { kind: 'user', sort: 'upn', dir: 'asc', limit: 5 });
    const second = await ok<EvidencePage>('evidence.list', { kind: 'user', sort: 'upn', dir: 'asc', limit: 5, offset: 5 });
    expect(first.total).toBe(all.total);
    expect([...first.rows, ...second.rows].map((r) => r.objectId)).toEqual(all.rows.slice(0, 10).map((r) => r.objectId));
    const desc = await ok<EvidencePage>('evidence.list', { kind: 'user', sort: 'upn', dir: 'desc', limit: 1 });
    expect(desc.rows[0]!.objectId).toBe(all.rows.at(-1)!.objectId);
  });

  it('shows users with their MFA registration and directory roles', async () => {
    const admin = collected.sim.groundTruth.compromisedUser.userPrincipalName;
    const page = await ok<EvidencePage>('evidence.list', { kind: 'user', filter: admin, limit: 50 });
    const row = page.rows.find((r) => r.values.upn === admin)!;
    expect(row).toBeDefined();
    expect(String(row.values.roles)).toMatch(/Administrator/);
    expect([0, 1]).toContain(row.values.mfa);
    const privileged = await ok<EvidencePage>('evidence.list', { kind: 'user', toggle: true, limit: 500 });
    expect(privileged.total).toBeLessThan(page.total + (await ok<EvidencePage>('evidence.list', { kind: 'user', limit: 1 })).total);
    expect(privileged.rows.every((r) => r.values.roles !== null)).toBe(true);
  });

  it('filters over every field and narrows mailboxes to those that forward', async () => {
    const page = await ok<EvidencePage>('evidence.list', { kind: 'inboundConnector', filter: recreated.name.toUpperCase() });
    expect(page.rows.map((r) => r.objectId)).toEqual([recreated.newGuid]);
    const forwarding = await ok<EvidencePage>('evidence.list', { kind: 'mailbox', toggle: true, limit: 500 });
    expect(forwarding.rows.length).toBeGreaterThan(0);
    expect(forwarding.rows.every((r) => r.values.forwardingSmtp || r.values.forwardingAddress)).toBe(true);
    expect(forwarding.rows.map((r) => r.values.upn)).toContain(forwardingUpn);
    const none = await ok<EvidencePage>('evidence.list', { kind: 'mailbox', filter: 'no-such-value-anywhere' });
    expect(none).toMatchObject({ total: 0, rows: [] });
  });

  it('puts the objects findings name first, with those findings', async () => {
    const page = await ok<EvidencePage>('evidence.list', { kind: 'inboundConnector' });
    expect(page.rows[0]!.objectId).toBe(recreated.newGuid);
    expect(page.rows[0]!.findings.length).toBeGreaterThan(0);
    const flagged = await ok<EvidencePage>('evidence.list', { kind: 'inboundConnector', flaggedOnly: true });
    expect(flagged.rows.every((r) => r.findings.length > 0)).toBe(true);
    expect(flagged.total).toBeLessThan(page.total);
  });

  it('refuses a column the kind does not have, and a kind that does not exist', async () => {
    const bad = await call('evidence.list', { kind: 'mailbox', sort: 'secretText' });
    expect(bad).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    expect(!bad.ok && bad.error.message).toMatch(/"secretText" is not a column of mailbox/);
    expect(await call('evidence.list', { kind: 'tenant_object; DROP TABLE evidence' })).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    expect(await call('evidence.list', { kind: 'user', limit: 100_000 })).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
  });
});

describe('evidence.object', () => {
  it('tells a connector deleted and made again under its name as re-created, with both ids', async () => {
    const view = await ok<EvidenceObjectView>('evidence.object', { kind: 'inboundConnector', objectId: recreated.oldGuid });
    expect(view.history.map((h) => [h.event, h.objectId])).toEqual([
      ['first-seen', recreated.oldGuid],
      ['re-created', recreated.newGuid],
    ]);
    expect(JSON.parse(view.raw)).toMatchObject({ Guid: recreated.oldGuid, Name: recreated.name });
    expect(view.evidence.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(view.evidence.source).toBe('exo.inboundConnectors');
  });

  it('tells a removed transport rule as removed, and a changed mailbox with the fields that changed', async () => {
    const rule = await ok<EvidenceObjectView>('evidence.object', { kind: 'transportRule', objectId: removedRule.guid });
    expect(rule.history.map((h) => h.event)).toEqual(['first-seen', 'removed']);
    expect(rule.history[1]!.evidenceId).toBeNull();
    const page = await ok<EvidencePage>('evidence.list', { kind: 'mailbox', filter: forwardingUpn });
    const mailbox = await ok<EvidenceObjectView>('evidence.object', { kind: 'mailbox', objectId: page.rows[0]!.objectId });
    expect(mailbox.history.map((h) => h.event)).toEqual(['first-seen', 'changed']);
    expect(mailbox.history[1]!.fields).toEqual(expect.arrayContaining(['ForwardingSmtpAddress', 'WhenChanged']));
  });

  it('answers not_found for an object the case does not hold', async () => {
    expect(await call('evidence.object', { kind: 'user', objectId: 'no-such-user' })).toMatchObject({ ok: false, error: { code: 'not_found' } });
  });
});

describe('evidence.overview', () => {
  it('lists the malicious objects still live and those the second collection no longer has', async () => {
    const overview = await ok<CaseOverview>('evidence.overview');
    expect(overview.collections).toEqual({ clean: 2, total: 2 });
    const state = (id: string) => overview.objects.find((o) => o.id === id)?.state;
    expect(state(recreated.newGuid)).toBe('live');
    expect(state(recreated.oldGuid)).toBe('removed');
    expect(state(removedRule.guid)).toBe('removed');
    expect(overview.objects.filter((o) => o.state === 'removed').every((o) => o.lastSeenAt !== null && o.findings.length > 0)).toBe(true);
    expect(overview.custody.entries).toBeGreaterThan(2);
  });
});
