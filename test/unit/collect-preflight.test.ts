// Preflight: each source's need against what the token carries, retention shortfalls in words, and an estimate from the last collection.
import { describe, expect, it } from 'vitest';
import { preflight } from '../../main/collect/preflight';
import { EXCHANGE_LOG_SOURCES, EXCHANGE_SOURCES } from '../../main/collect/sources';

const base = { graphAccount: 'admin@contoso.test', exchangeAccount: null, logDays: 30, exchange: false, previous: null };

describe('preflight', () => {
  it('marks every source ok when the token carries a sufficient permission, with or without a resource prefix', () => {
    const view = preflight({ ...base, grantedScopes: ['https://graph.microsoft.com/Directory.Read.All', 'AuditLog.Read.All', 'Policy.Read.All', 'openid'] });
    expect(view.rows.filter((r) => r.status !== 'ok')).toEqual([]);
    expect(view.rows.map((r) => r.source)).toContain('graph.signIns');
    expect(view.rows.find((r) => r.source === 'graph.signIns')!.note).toMatch(/Free only the last 7 days.*P1 or P2/);
  });

  it('names the permission a source lacks and says it will fail', () => {
    const view = preflight({ ...base, grantedScopes: ['Application.Read.All'] });
    const audits = view.rows.find((r) => r.source === 'graph.directoryAudits')!;
    expect(audits.status).toBe('missing');
    expect(audits.note).toMatch(/lacks AuditLog\.Read\.All and Directory\.Read\.All: this source will fail/);
    expect(view.rows.find((r) => r.source === 'graph.applications')!.status).toBe('ok');
  });

  it('warns when the window reaches past retention, and leaves logs out when none are asked for', () => {
    const long = preflight({ ...base, logDays: 90, grantedScopes: ['AuditLog.Read.All'] });
    expect(long.rows.find((r) => r.source === 'graph.directoryAudits')!.note).toMatch(/first 60 of the 90 days asked for will be empty/);
    const none = preflight({ ...base, logDays: 0, grantedScopes: [] });
    expect(none.rows.some((r) => r.source === 'graph.signIns')).toBe(false);
  });

  it('asks for the Exchange sign-in, and cannot know Exchange roles before the first call', () => {
    expect(preflight({ ...base, exchange: true, grantedScopes: [] }).rows.filter((r) => r.service === 'exchange').every((r) => r.status === 'not-signed-in')).toBe(true);
    const signedIn = preflight({ ...base, exchange: true, exchangeAccount: 'admin@contoso.test', grantedScopes: [] });
    expect(signedIn.rows.filter((r) => r.service === 'exchange').map((r) => r.status)).toEqual(Array(EXCHANGE_SOURCES.length + EXCHANGE_LOG_SOURCES.length).fill('unknown'));
    // The audit settings are read with an audit-log or configuration view role.
    expect(signedIn.rows.find((r) => r.source === 'exo.mailboxAuditBypass')?.needs).toMatch(/View-Only Audit Logs/);
  });

  it('carries the signed-in user\'s directory roles when they could be read', () => {
    expect(preflight({ ...base, grantedScopes: [], roles: ['Global Administrator'] }).roles).toEqual(['Global Administrator']);
    expect(preflight({ ...base, grantedScopes: [] }).roles).toBeNull();
  });

  it('estimates the least duration the report throttling allows from the last collection', () => {
    const view = preflight({ ...base, grantedScopes: ['AuditLog.Read.All'], previous: { 'graph.signIns': 40_500, 'graph.directoryAudits': 800, 'graph.userRegistrationDetails': 500 } });
    // 41 + 1 + 1 report pages, and one page each for the two sign-in kinds that collection did not read, at 5 per 10 s:
    // the 45th request goes out 80 s in.
    expect(view.estimatedMinimumSeconds).toBe(80);
    expect(view.basis).toMatch(/last clean collection/);
    expect(view.rows.find((r) => r.source === 'graph.signIns')!.estimatedRecords).toBe(40_500);
    expect(preflight({ ...base, grantedScopes: [] }).estimatedMinimumSeconds).toBeNull();
  });
});

describe('preflight: permissions that must be held together', () => {
  it('does not promise sign-ins or audits with AuditLog.Read.All alone: Graph wants Directory.Read.All as well', () => {
    const view = preflight({ ...base, grantedScopes: ['AuditLog.Read.All'] });
    for (const source of ['graph.signIns', 'graph.directoryAudits']) {
      const row = view.rows.find((r) => r.source === source)!;
      expect(row.status, source).toBe('missing');
      expect(row.needs).toMatch(/^AuditLog\.Read\.All and Directory\.Read\.All; role: Reports Reader/);
      expect(row.note).toMatch(/lacks Directory\.Read\.All/);
    }
    const both = preflight({ ...base, grantedScopes: ['AuditLog.Read.All', 'Directory.Read.All'] });
    expect(both.rows.find((r) => r.source === 'graph.signIns')!.status).toBe('ok');
  });

  it('names the directory role a report source needs when the signed-in user holds none of them', () => {
    const scopes = ['AuditLog.Read.All', 'Directory.Read.All', 'Policy.Read.All'];
    const view = preflight({ ...base, grantedScopes: scopes, roles: ['Groups Administrator'] });
    const signIns = view.rows.find((r) => r.source === 'graph.signIns')!;
    expect(signIns.status).toBe('missing');
    expect(signIns.note).toMatch(/holds none of the roles .*Security Reader.*Global Reader/);
    expect(view.rows.find((r) => r.source === 'graph.users')!.status).toBe('ok');
    // Roles that could not be read are not held against the source.
    expect(preflight({ ...base, grantedScopes: scopes, roles: null }).rows.find((r) => r.source === 'graph.signIns')!.status).toBe('ok');
    expect(preflight({ ...base, grantedScopes: scopes, roles: ['Global Reader'] }).rows.find((r) => r.source === 'graph.signIns')!.status).toBe('ok');
  });
});
