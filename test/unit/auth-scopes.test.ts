// The Graph permissions a delegated collection asks for by name: per cloud, from environment files old and new, and
// enough for every source the preflight knows.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cloudEnvironment, loadEnvironmentFile } from '../../main/auth/environment';
import { COLLECTION_GRAPH_SCOPES, defaultScopes, graphScopesFor } from '../../main/auth/scopes';
import { SOURCE_NEEDS, preflight } from '../../main/collect/preflight';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-scopes-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function envFile(extra: Record<string, unknown>): string {
  const file = path.join(dir, `env-${Object.keys(extra).join('-') || 'plain'}-${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(file, JSON.stringify({
    format: 'peregrine-environment/1', name: 'test', cloud: 'simulator', tenantId: '71386dbc-bc4e-428a-8d77-edc375ab1697',
    authorityHost: 'https://127.0.0.1:1', graphBaseUrl: 'https://127.0.0.1:1', exchangeBaseUrl: 'https://127.0.0.1:1',
    clientId: '14d82eec-204b-4c2f-b7e8-296a70dab67e', ...extra,
  }));
  return file;
}

describe('collection scopes', () => {
  it('asks each cloud for named Graph permissions on its own Graph resource, never .default', () => {
    expect(cloudEnvironment('commercial', 'contoso.onmicrosoft.com').graphScopes).toEqual([
      'https://graph.microsoft.com/User.Read', 'https://graph.microsoft.com/Directory.Read.All',
      'https://graph.microsoft.com/AuditLog.Read.All', 'https://graph.microsoft.com/Policy.Read.All',
    ]);
    for (const cloud of ['gcchigh', 'dod', 'china'] as const) {
      const env = cloudEnvironment(cloud, 'contoso.onmicrosoft.com');
      expect(env.graphScopes.every((s) => s.startsWith(`${env.graphBaseUrl}/`) && !s.endsWith('.default'))).toBe(true);
    }
  });

  it('reads an older environment file\'s lone .default, or none at all, as the named permissions; keeps named ones as written', () => {
    expect(loadEnvironmentFile(envFile({ graphScopes: ['https://graph.microsoft.com/.default'] })).graphScopes).toEqual(graphScopesFor('https://graph.microsoft.com'));
    expect(loadEnvironmentFile(envFile({})).graphScopes).toEqual(graphScopesFor('https://graph.microsoft.com'));
    expect(loadEnvironmentFile(envFile({ graphScopes: ['https://graph.microsoft.com/User.Read'] })).graphScopes).toEqual(['https://graph.microsoft.com/User.Read']);
    expect(() => loadEnvironmentFile(envFile({ graphScopes: [] }))).toThrow(/invalid at "graphScopes"/);
  });

  it('turns named scopes into one .default per resource for app-only tokens', () => {
    expect(defaultScopes(graphScopesFor('https://graph.microsoft.us'))).toEqual(['https://graph.microsoft.us/.default']);
    expect(defaultScopes(['https://outlook.office365.com/.default'])).toEqual(['https://outlook.office365.com/.default']);
  });

  it('covers every Graph source the preflight knows: a token with exactly these scopes leaves none missing', () => {
    const view = preflight({ grantedScopes: COLLECTION_GRAPH_SCOPES.map((s) => s.scope), graphAccount: 'a@b.c', exchangeAccount: null, logDays: 7, exchange: false, previous: null, roles: ['Global Reader'] });
    expect(view.rows.map((r) => r.source).sort()).toEqual(Object.keys(SOURCE_NEEDS).sort());
    expect(view.rows.filter((r) => r.status !== 'ok')).toEqual([]);
  });
});
