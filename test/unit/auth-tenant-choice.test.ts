// A tenant named by the examiner: which client each sign-in uses (given for this tenant, Settings, Microsoft's public
// client) and which of them are recorded as the engagement's own apps.
import { describe, expect, it } from 'vitest';
import { chosenEnvironment } from '../../main/auth/tenant-choice';
import { DEFAULT_GRAPH_CLIENT_ID } from '../../main/auth/environment';

const NONE = { collectionClientId: '', remediationClientId: '', engagementAppIds: [] };
const OURS = { collectionClientId: '6e053d8a-3378-460f-bfaa-3eb49f6b16de', remediationClientId: '0b7e5f26-94b4-4f3a-9c1e-2d3f4a5b6c7d', engagementAppIds: ['11111111-2222-4333-8444-555555555555'] };
const GIVEN = 'A1B2C3D4-E5F6-4a7b-8c9d-0e1f2a3b4c5d';

describe('a tenant named by the examiner', () => {
  it('signs in with Microsoft Graph Command Line Tools when neither the tenant nor Settings names a client', () => {
    const env = chosenEnvironment({ cloud: 'dod', tenant: 'contoso.onmicrosoft.us' }, NONE);
    expect(env).toMatchObject({ clientId: DEFAULT_GRAPH_CLIENT_ID, clientIdFrom: 'default', authorityHost: 'https://login.microsoftonline.us', graphBaseUrl: 'https://dod-graph.microsoft.us', exchangeScopes: ['https://outlook-dod.office365.us/.default'] });
    expect(env.remediationClientId).toBeUndefined();
    // Microsoft's public client is anyone's: never recorded as ours.
    expect(env.engagementAppIds).toEqual([]);
  });

  it("uses Settings' collection and remediation clients, and records them with Settings' own apps as the engagement's", () => {
    const env = chosenEnvironment({ cloud: 'commercial', tenant: 'contoso.onmicrosoft.com' }, OURS);
    expect(env).toMatchObject({ clientId: OURS.collectionClientId, clientIdFrom: 'settings', remediationClientId: OURS.remediationClientId });
    expect(env.engagementAppIds).toEqual([OURS.remediationClientId, OURS.engagementAppIds[0], OURS.collectionClientId].sort());
  });

  it('lets a client given for this tenant win over Settings, for collection and for remediation', () => {
    const env = chosenEnvironment({ cloud: 'gcchigh', tenant: '71386dbc-bc4e-428a-8d77-edc375ab1697', clientId: GIVEN, remediationClientId: GIVEN }, OURS);
    expect(env).toMatchObject({ clientId: GIVEN.toLowerCase(), clientIdFrom: 'chosen', remediationClientId: GIVEN.toLowerCase(), tenant: '71386dbc-bc4e-428a-8d77-edc375ab1697' });
    expect(env.engagementAppIds).toContain(GIVEN.toLowerCase());
  });

  it('refuses a tenant that is neither a GUID nor a domain, naming it', () => {
    expect(() => chosenEnvironment({ cloud: 'commercial', tenant: 'contoso' }, NONE)).toThrow(/^"contoso" is not a tenant id or domain/);
  });
});
