// Vitest (plain Node): entity snapshots from Graph pages: validation, secret stripping, per-run reads.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Database } from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeDatabase, openDatabase } from '../../db/connection';
import { EntityShapeError } from '../../db/errors';
import {
  getOrganization,
  insertApplications,
  insertOrganization,
  insertServicePrincipals,
  listApplications,
  listServicePrincipals,
} from '../../db/queries/directory';
import { insertEvidence } from '../../db/queries/evidence';
import { startRun } from '../../db/queries/runs';

let dir: string;
let db: Database;
let runId: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-dir-'));
  db = openDatabase(path.join(dir, 'case.peregrine'), { create: true });
  runId = startRun(db, { runId: randomUUID(), startedAt: '2024-05-01T10:00:00.000Z', environment: 'contoso', tenantId: 'tid', account: 'ir@contoso.example' }).runId;
});
afterEach(() => {
  closeDatabase(db);
  fs.rmSync(dir, { recursive: true, force: true });
});

function page(source: string, value: unknown[], run = runId) {
  return insertEvidence(db, {
    runId: run, source, method: 'GET', url: `https://graph.microsoft.com/v1.0/${source.split('.')[1]}`,
    status: 200, contentType: 'application/json', collectedAt: '2024-05-01T10:00:01.000Z', body: Buffer.from(JSON.stringify({ value })),
  });
}

const attackerApp = {
  id: '11111111-1111-1111-1111-111111111111',
  appId: 'aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa',
  displayName: 'Mail Sync',
  signInAudience: 'AzureADMultipleOrgs',
  createdDateTime: '2024-04-28T02:13:44Z',
  publisherDomain: 'contoso.onmicrosoft.com',
  requiredResourceAccess: [
    { resourceAppId: '00000003-0000-0000-c000-000000000000', resourceAccess: [{ id: 'e2a3a72e-5f79-4c64-b1b1-878b674786c9', type: 'Role' }] },
  ],
  passwordCredentials: [
    { keyId: 'k1', displayName: 'sync', hint: 'abc', startDateTime: '2024-04-28T02:15:00Z', endDateTime: '2026-04-28T02:15:00Z', secretText: 'abc~SUPERSECRET', customKeyIdentifier: null },
  ],
  keyCredentials: [
    { keyId: 'k2', displayName: 'CN=sync', type: 'AsymmetricX509Cert', usage: 'Verify', startDateTime: '2024-04-29T00:00:00Z', endDateTime: '2025-04-29T00:00:00Z', customKeyIdentifier: 'ABCD', key: 'MIIBASE64CERT==' },
  ],
  addIns: [{ id: 'x', type: 'y', properties: [{ key: 'setting', value: 'kept' }] }],
  web: { redirectUris: ['https://evil.example/callback'] },
};

describe('applications', () => {
  it('keeps metadata only: no secretText, no certificate key, anywhere', () => {
    const { id: evidenceId, sha256 } = page('graph.applications', [attackerApp]);
    expect(insertApplications(db, runId, evidenceId, [attackerApp])).toBe(1);
    const [app] = listApplications(db, runId);
    expect(app).toMatchObject({
      runId, objectId: attackerApp.id, evidenceId, evidenceSha256: sha256, appId: attackerApp.appId, displayName: 'Mail Sync',
      signInAudience: 'AzureADMultipleOrgs', createdAt: '2024-04-28T02:13:44Z', publisherDomain: 'contoso.onmicrosoft.com', verifiedPublisher: null,
      requiredResourceAccess: attackerApp.requiredResourceAccess,
    });
    expect(app!.passwordCredentials).toEqual([{ keyId: 'k1', displayName: 'sync', hint: 'abc', startDateTime: '2024-04-28T02:15:00Z', endDateTime: '2026-04-28T02:15:00Z' }]);
    expect(app!.keyCredentials).toEqual([
      { keyId: 'k2', displayName: 'CN=sync', type: 'AsymmetricX509Cert', usage: 'Verify', startDateTime: '2024-04-29T00:00:00Z', endDateTime: '2025-04-29T00:00:00Z', customKeyIdentifier: 'ABCD' },
    ]);
    const stored = db.prepare('SELECT password_credentials || key_credentials || raw FROM application').pluck().get() as string;
    expect(stored).not.toContain('SUPERSECRET');
    expect(stored).not.toContain('MIIBASE64CERT');
    expect(app!.raw).toMatchObject({ web: { redirectUris: ['https://evil.example/callback'] }, addIns: [{ properties: [{ key: 'setting', value: 'kept' }] }] });
  });

  it('refuses a malformed object, naming the field and the evidence, and writes nothing from the page', () => {
    const bad = { ...attackerApp, id: '2', passwordCredentials: [{ keyId: 42 }] };
    const { id: evidenceId } = page('graph.applications', [attackerApp, bad]);
    let caught: unknown;
    try {
      insertApplications(db, runId, evidenceId, [attackerApp, bad]);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(EntityShapeError);
    expect((caught as EntityShapeError).field).toBe('passwordCredentials.0.keyId');
    expect((caught as EntityShapeError).evidenceId).toBe(evidenceId);
    expect((caught as Error).message).toMatch(new RegExp(`^Evidence ${evidenceId}: application #1 \\(id 2\\) cannot be read: field 'passwordCredentials\\.0\\.keyId': Invalid input: expected string, received number`));
    expect(listApplications(db, runId)).toEqual([]);
  });

  it('refuses entities derived from another run\'s evidence', () => {
    const other = startRun(db, { runId: randomUUID(), startedAt: '2024-05-02T10:00:00.000Z', environment: 'contoso', tenantId: 'tid', account: null }).runId;
    const { id } = page('graph.applications', [attackerApp], other);
    expect(() => insertApplications(db, runId, id, [attackerApp])).toThrow(/belongs to run/);
  });

  it('keeps one snapshot per run, and the later observation within a run', () => {
    const first = page('graph.applications', [attackerApp]);
    const second = page('graph.applications', [attackerApp]);
    insertApplications(db, runId, first.id, [attackerApp]);
    insertApplications(db, runId, second.id, [{ ...attackerApp, displayName: 'Mail Sync 2' }]);
    const other = startRun(db, { runId: randomUUID(), startedAt: '2024-05-02T10:00:00.000Z', environment: 'contoso', tenantId: 'tid', account: null }).runId;
    insertApplications(db, other, page('graph.applications', [attackerApp], other).id, [attackerApp]);
    expect(listApplications(db, runId).map((a) => [a.displayName, a.evidenceId])).toEqual([['Mail Sync 2', second.id]]);
    expect(listApplications(db, other)).toHaveLength(1);
  });
});

describe('service principals and organization', () => {
  it('stores what the detector needs, credentials as metadata', () => {
    const sp = {
      id: '22222222-2222-2222-2222-222222222222', appId: attackerApp.appId, displayName: 'Mail Sync', servicePrincipalType: 'Application',
      appOwnerOrganizationId: 'tid', accountEnabled: true, tags: ['WindowsAzureActiveDirectoryIntegratedApp'], replyUrls: [],
      appRoles: [{ id: 'r1', value: 'Mail.Read', displayName: 'Read mail', description: 'd', allowedMemberTypes: ['Application'], isEnabled: true, origin: 'Application' }],
      passwordCredentials: [{ keyId: 'k9', startDateTime: '2024-04-30T00:00:00Z', secretText: 'nope' }],
    };
    const { id } = page('graph.servicePrincipals', [sp]);
    insertServicePrincipals(db, runId, id, [sp]);
    const [row] = listServicePrincipals(db, runId);
    expect(row).toMatchObject({
      objectId: sp.id, appId: sp.appId, servicePrincipalType: 'Application', appOwnerOrganizationId: 'tid', accountEnabled: true,
      createdAt: null, tags: sp.tags, appRoleAssignmentRequired: null,
      appRoles: [{ id: 'r1', value: 'Mail.Read', displayName: 'Read mail', description: 'd', allowedMemberTypes: ['Application'], isEnabled: true }],
      passwordCredentials: [{ keyId: 'k9', displayName: null, hint: null, startDateTime: '2024-04-30T00:00:00Z', endDateTime: null }],
    });
    expect(JSON.stringify(row)).not.toContain('nope');
  });

  it('keeps the tenant\'s verified domains', () => {
    const org = {
      id: 'tid', displayName: 'Contoso',
      verifiedDomains: [{ name: 'contoso.com', isDefault: true, isInitial: false, type: 'Managed', capabilities: 'Email' }, { name: 'contoso.onmicrosoft.com', isInitial: true }],
    };
    const { id } = page('graph.organization', [org]);
    insertOrganization(db, runId, id, [org]);
    expect(getOrganization(db, runId)).toMatchObject({
      tenantId: 'tid', displayName: 'Contoso', evidenceId: id,
      verifiedDomains: [
        { name: 'contoso.com', isDefault: true, isInitial: false, type: 'Managed', capabilities: 'Email' },
        { name: 'contoso.onmicrosoft.com', isDefault: null, isInitial: true, type: null, capabilities: null },
      ],
    });
    expect(getOrganization(db, randomUUID())).toBeNull();
  });
});
