// The CLI's tenant flags: an environment file, or a real tenant and its cloud, signing in with --client-id, else the
// client Settings names for that role (collection or remediation), else Microsoft Graph Command Line Tools.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { environmentFromFlags } from '../../main/cli/tenant-flags';
import { saveSettings, SettingsSchema } from '../../main/settings/store';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-tenant-flags-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const usage = (m: string) => new Error(`usage: ${m}`);
const COLLECTION = '6e053d8a-3378-460f-bfaa-3eb49f6b16de';
const REMEDIATION = '0b7e5f26-94b4-4f3a-9c1e-2d3f4a5b6c7d';
const GIVEN = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';

function home(settings: Record<string, unknown> | null): string {
  const h = fs.mkdtempSync(path.join(dir, 'home-'));
  if (settings) saveSettings(h, SettingsSchema.parse(settings));
  return h;
}

describe('the CLI tenant flags', () => {
  it('sign collection in with Settings\' collection client and remediation with Settings\' remediation client, at the cloud named', () => {
    const h = home({ collectionClientId: COLLECTION, remediationClientId: REMEDIATION });
    const collect = environmentFromFlags({ tenant: 'contoso.onmicrosoft.us', cloud: 'gcchigh' }, { home: h, role: 'collection', usage });
    expect(collect).toMatchObject({ clientId: COLLECTION, remediationClientId: REMEDIATION, authorityHost: 'https://login.microsoftonline.us', graphBaseUrl: 'https://graph.microsoft.us', exchangeScopes: ['https://outlook.office365.us/.default'] });
    const remediate = environmentFromFlags({ tenant: 'contoso.onmicrosoft.us', cloud: 'gcchigh', 'client-id': GIVEN }, { home: h, role: 'remediation', usage });
    // --client-id names the remediation client here; collection's stays Settings'.
    expect(remediate).toMatchObject({ clientId: COLLECTION, remediationClientId: GIVEN });
  });

  it('defaults to the commercial cloud and Microsoft Graph Command Line Tools without Settings', () => {
    const env = environmentFromFlags({ tenant: 'contoso.onmicrosoft.com' }, { home: home(null), role: 'collection', usage });
    expect(env).toMatchObject({ cloud: 'commercial', clientId: '14d82eec-204b-4c2f-b7e8-296a70dab67e', authorityHost: 'https://login.microsoftonline.com' });
    expect(env.remediationClientId).toBeUndefined();
  });

  it.each([
    [{}, /^usage: Name the tenant/],
    [{ tenant: 'contoso.onmicrosoft.com', cloud: 'usgov' }, /^usage: --cloud must be one of commercial, gcc, gcchigh, dod, china, not "usgov"\.$/],
    [{ tenant: 'contoso.onmicrosoft.com', 'client-id': 'graph-cli' }, /^usage: --client-id must be an app registration's application \(client\) id, a GUID, not "graph-cli"\.$/],
    [{ env: 'sim.json', cloud: 'dod' }, /^usage: --cloud goes with --tenant/],
    [{ env: 'sim.json', tenant: 'contoso.onmicrosoft.com' }, /^usage: Give --env <environment file> or --tenant <domain\|id>, not both\.$/],
    [{ tenant: 'contoso' }, /^"contoso" is not a tenant id or domain/],
  ])('refuses %j, naming the flag', (flags, message) => {
    expect(() => environmentFromFlags(flags, { home: home(null), role: 'collection', usage })).toThrow(message);
  });

  it('stops on a Settings file that cannot be read, naming it, rather than sign in with another client', () => {
    const h = home(null);
    fs.writeFileSync(path.join(h, 'settings.json'), '{ not json');
    expect(() => environmentFromFlags({ tenant: 'contoso.onmicrosoft.com' }, { home: h, role: 'collection', usage })).toThrow(/settings\.json is not valid JSON/);
  });
});
