// Vitest (plain Node): the attack's own records (test/fixtures/logs, in the exact export formats) become the events the detectors need.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDirectoryAudit } from '../../db/normalize/directoryAudit';
import { LogRecordError } from '../../db/normalize/record';
import { parseSignIn } from '../../db/normalize/signin';
import { parseUnifiedAudit } from '../../db/normalize/unifiedAudit';
import { decodeText, jsonRecords } from '../../db/normalize/text';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/logs');
const records = (file: string): unknown[] => jsonRecords(decodeText(fs.readFileSync(path.join(FIXTURES, file))), file);
const AAD_POWERSHELL = '1b730954-1685-4b74-9bfd-dac224a7b894';

describe('credential stuffing sign-ins', () => {
  for (const file of ['graph-signins-stuffing.json', 'signinlogs-stuffing.jsonl']) {
    it(`${file}: failures 50126 from one IP against Azure AD PowerShell, then a success`, () => {
      const parsed = records(file).map((r, i) => parseSignIn(r, i));
      expect(parsed).toHaveLength(7);
      const events = parsed.map((p) => p.event!);
      expect(new Set(events.map((e) => e.actorIp))).toEqual(new Set(['203.0.113.66']));
      expect(new Set(events.map((e) => e.actorAppId))).toEqual(new Set([AAD_POWERSHELL]));
      expect(parsed.map((p) => p.row.errorCode)).toEqual([50126, 50126, 50126, 50126, 50126, 50053, 0]);
      expect(events.map((e) => e.result)).toEqual([...Array<string>(6).fill('failure'), 'success']);
      expect(events[6]).toMatchObject({ actorUser: 'admin.jones@contoso.example', operation: 'sign-in activity', at: '2024-04-27T03:13:00.123Z' });
      expect(parsed[6]!.row).toMatchObject({ isInteractive: true, conditionalAccessStatus: 'notApplied', appDisplayName: 'Azure Active Directory PowerShell' });
      expect(parsed[0]!.row.location).toMatchObject({ countryOrRegion: 'NL' });
    });
  }

  it('Graph and Log Analytics shapes of one sign-in give the same event', () => {
    const graph = records('graph-signins-stuffing.json').map((r, i) => parseSignIn(r, i).event);
    const la = records('signinlogs-stuffing.jsonl').map((r, i) => parseSignIn(r, i).event);
    expect(la).toEqual(graph);
  });
});

describe('persistence in the directory audit log', () => {
  const graph = records('graph-directoryaudits-persistence.json').map((r, i) => parseDirectoryAudit(r, i));
  const la = records('auditlogs-persistence.jsonl').map((r, i) => parseDirectoryAudit(r, i));

  it('reads consent, role and credential records with their targets', () => {
    const byOp = new Map(graph.map((p) => [p.row.operation, p]));
    expect(byOp.get('consent to application')!.event).toMatchObject({ targetType: 'ServicePrincipal', targetName: 'contoso_kqz', actorUser: 'admin.jones@contoso.example', actorIp: '203.0.113.66' });
    const role = byOp.get('add member to role')!;
    expect(role.event).toMatchObject({ targetType: 'ServicePrincipal', targetName: 'contoso_kqz', result: 'success' });
    expect(role.row.targets.map((t) => t.type)).toEqual(['ServicePrincipal', 'Role']);
    expect(JSON.stringify(role.row.targets[0]!.modifiedProperties)).toContain('Global Administrator');
    const cred = byOp.get('update application - certificates and secrets management')!;
    expect(cred.event!.rawOperation).toBe('Update application – Certificates and secrets management ');
    expect(cred.event!.targetType).toBe('Application');
  });

  it('Graph objects and AuditLogs rows (JSON in strings) give the same events', () => {
    expect(la.map((p) => p.event)).toEqual(graph.map((p) => p.event));
  });
});

describe('Exchange mail-flow changes in the Unified Audit Log', () => {
  const api = records('ual-management-api.json').map((r, i) => parseUnifiedAudit(r, i));
  const search = records('ual-search-rows.utf16.json').map((r, i) => parseUnifiedAudit(r, i));

  it('reads the UTF-16LE Search-UnifiedAuditLog dump (/Date(ms)/ dates, AuditData as text)', () => {
    expect(search).toHaveLength(9);
    expect(search.map((p) => p.event)).toEqual(api.map((p) => p.event));
  });

  it('keeps cmdlet parameters: the connector\'s sender IPs and the rules\' removed headers', () => {
    const connector = api[0]!;
    expect(connector.event).toMatchObject({
      operation: 'new-inboundconnector', targetType: 'InboundConnector', targetName: 'Ran_vxqpt', result: 'success',
      actorAppId: '5e1f0000-0000-4000-8000-0000000001f5', actorIp: '198.51.100.23', at: '2024-07-03T22:41:17.000Z',
    });
    expect(connector.row.parameters).toContainEqual({ Name: 'SenderIPAddresses', Value: '192.0.2.44;192.0.2.45' });
    expect(connector.row.recordType).toBe('ExchangeAdmin');
    const rules = api.filter((p) => p.row.operation === 'new-transportrule');
    expect(rules.map((p) => p.event!.targetName)).toEqual(['Test01', 'Test02', 'Test03']);
    expect(rules[0]!.row.parameters).toContainEqual({ Name: 'RemoveHeader', Value: 'X-MS-Exchange-ExternalOriginalInternetSender' });
    expect(api.filter((p) => p.row.operation.startsWith('remove-')).map((p) => [p.event!.targetType, p.event!.targetName])).toEqual([
      ['TransportRule', 'Test01'],
      ['InboundConnector', 'Ran_vxqpt'],
    ]);
  });

  it('Unified Audit Log operation names meet their directory audit twins', () => {
    const audits = records('graph-directoryaudits-persistence.json').map((r, i) => parseDirectoryAudit(r, i).row.operation);
    const ual = api.map((p) => p.row.operation);
    expect(ual).toContain('add service principal');
    expect(audits).toContain('add service principal');
    expect(ual).toContain('update application - certificates and secrets management');
    expect(audits).toContain('update application - certificates and secrets management');
  });
});

describe('a record that cannot be read', () => {
  const catchError = (fn: () => unknown): LogRecordError => {
    try {
      fn();
    } catch (err) {
      if (err instanceof LogRecordError) return err;
      throw err;
    }
    throw new Error('expected a LogRecordError');
  };

  it('names the source, the record and the field', () => {
    const [first] = records('graph-signins-stuffing.json') as Record<string, unknown>[];
    const e1 = catchError(() => parseSignIn({ ...first, status: { errorCode: 'lots' } }, 3));
    expect(e1.message).toBe(`sign-in (Graph signIn) #3 (id ${String(first!.id)}): field 'status.errorCode' must be an integer, got text 'lots'`);
    expect(e1.field).toBe('status.errorCode');
    expect(catchError(() => parseSignIn({ ...first, createdDateTime: 'soon' }, 0)).field).toBe('createdDateTime');
    expect(catchError(() => parseSignIn({ ...first, id: undefined }, 0)).message).toMatch(/^sign-in \(Graph signIn\) #0: field 'id' is missing$/);

    const [row] = records('auditlogs-persistence.jsonl') as Record<string, unknown>[];
    const e2 = catchError(() => parseDirectoryAudit({ ...row, InitiatedBy: '{"user":' }, 5));
    expect(e2.message).toMatch(/^directory audit \(AuditLogs row\) #5 \(id Directory_[^)]+\): field 'InitiatedBy' holds JSON text that does not parse/);

    const [search] = records('ual-search-rows.utf16.json') as Record<string, unknown>[];
    const data = JSON.parse(search!.AuditData as string) as Record<string, unknown>;
    const e3 = catchError(() => parseUnifiedAudit({ ...search, AuditData: JSON.stringify({ ...data, Parameters: [{ Value: 'x' }] }) }, 0));
    expect(e3.field).toBe('AuditData.Parameters.0.Name');
    expect(e3.source).toBe('unified audit record (Search-UnifiedAuditLog row)');
    expect(catchError(() => parseUnifiedAudit('not a record', 7)).message).toBe("unified audit record #7: field '(the record itself)' must be an object");
  });
});
