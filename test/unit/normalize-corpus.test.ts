// Vitest (plain Node): every sign-in, directory audit and Unified Audit Log record in the shared corpus (real data published by others) parses.
import fs from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { parseDirectoryAudit, type ParsedDirectoryAudit } from '../../db/normalize/directoryAudit';
import { normalizeOperation } from '../../db/normalize/operation';
import { isObject } from '../../db/normalize/record';
import { parseSignIn, type ParsedSignIn } from '../../db/normalize/signin';
import { csvRecords, decodeText, jsonRecords } from '../../db/normalize/text';
import { parseUnifiedAudit, type ParsedUnifiedAudit } from '../../db/normalize/unifiedAudit';
import { CORPUS, corpus, prerequisite } from '../support/prerequisites';
import { describeNeeds } from '../support/vitest-prerequisites';

const needsCorpus = prerequisite([corpus()]);
const present = needsCorpus.missing === null;

interface ManifestEntry {
  file: string;
  format: string;
  records: number | null;
}

function manifest(): ManifestEntry[] {
  const [, ...lines] = fs.readFileSync(path.join(CORPUS, 'MANIFEST.tsv'), 'utf8').split('\n');
  return lines
    .filter((l) => l.trim() !== '')
    .map((l) => l.split('\t'))
    .map((c) => ({ file: c[0] ?? '', format: c[4] ?? '', records: c[5] ? Number(c[5]) : null }));
}

/** Files under the log folders that are not log records, and why. */
const NOT_LOG_RECORDS: Record<string, string> = {
  'signins/sentinel_training_lab/signinLogs.csv': 'a hunting query result (StartTime, disabledAccountLoginAttempts…), not SigninLogs rows (MANIFEST says so)',
  'ual/otrf_goldensaml/Microsoft365DefenderEvents.json': 'Defender advanced hunting rows (DeviceEvents/IdentityDirectoryEvents: LdapSearch, replication), not Unified Audit Log records',
};

type Kind = 'signin' | 'audit' | 'ual';
type Parsed = ParsedSignIn | ParsedDirectoryAudit | ParsedUnifiedAudit;

/** Test harness wrappers around the records: sekoia's {input: {message}} and the corpus' {_source_file, event}. */
function unwrap(record: unknown): unknown {
  if (!isObject(record)) return record;
  if (isObject(record.input) && typeof record.input.message === 'string') return JSON.parse(record.input.message) as unknown;
  if ('_source_file' in record && isObject(record.event)) return record.event;
  return record;
}

function kindOf(file: string, record: unknown): Kind {
  if (file.startsWith('signins/')) return 'signin';
  if (file.startsWith('ual/')) return 'ual';
  // sekoia's Entra ID Graph samples mix signIns (createdDateTime) into the directoryAudits.
  if (isObject(record) && ('createdDateTime' in record || file.includes('signin'))) return 'signin';
  return 'audit';
}

function parse(kind: Kind, record: unknown, index: number, csv: boolean): Parsed {
  if (kind === 'signin') return parseSignIn(record, index, { csv });
  if (kind === 'audit') return parseDirectoryAudit(record, index, { csv });
  return parseUnifiedAudit(record, index, { csv });
}

function load(file: string): { records: unknown[]; csv: boolean; bom: 'utf-8' | 'utf-16le' | null } {
  const bytes = fs.readFileSync(path.join(CORPUS, file));
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 'utf-8' : bytes[0] === 0xff && bytes[1] === 0xfe ? 'utf-16le' : null;
  let text = decodeText(bytes);
  const csv = file.endsWith('.csv');
  // Microsoft's documentation examples leave trailing commas (",\n ]"); the samples are kept as published.
  if (file.includes('graph_docs_examples')) text = text.replace(/,(\s*[\]}])/g, '$1');
  const records = csv ? csvRecords(text, file) : jsonRecords(text, file);
  return { records: records.map(unwrap), csv, bom };
}

function parseFile(file: string): { parsed: Parsed[]; bom: string | null; records: number } {
  const { records, csv, bom } = load(file);
  const parsed = records.map((r, i) => parse(kindOf(file, r), r, i, csv));
  return { parsed, bom, records: records.length };
}

const LOG_FOLDERS = /^(signins|entra_audit|ual)\//;
const GRAPH_DOC_LOGS = /^exo_graph_objects\/graph_docs_examples\/.*(signin|directoryaudit)-/;

describeNeeds(needsCorpus, 'the shared corpus', () => {
  const entries = present ? manifest() : [];
  const logFiles = entries.filter((e) => LOG_FOLDERS.test(e.file) && /^(json|jsonl|log|csv)/.test(e.format) && !(e.file in NOT_LOG_RECORDS));

  it('has the log samples this test expects', () => {
    expect(logFiles.length).toBeGreaterThanOrEqual(90);
    for (const file of Object.keys(NOT_LOG_RECORDS)) expect(entries.map((e) => e.file)).toContain(file);
  });

  for (const entry of logFiles) {
    it(`${entry.file}: all ${entry.records} records parse`, () => {
      const { parsed, records } = parseFile(entry.file);
      expect(records).toBe(entry.records);
      expect(parsed).toHaveLength(records);
      for (const p of parsed) {
        expect(p.row.id).not.toBe('');
        if (p.event) expect(p.event.at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      }
    });
  }

  it('signins/msticpy/aad_logons.converted.jsonl (not in MANIFEST): all 86 SigninLogs rows parse with times', () => {
    const file = 'signins/msticpy/aad_logons.converted.jsonl';
    if (!fs.existsSync(path.join(CORPUS, file))) return;
    const { parsed } = parseFile(file);
    expect(parsed).toHaveLength(86);
    expect(parsed.every((p) => p.event !== null)).toBe(true);
  });

  for (const file of present ? fs.readdirSync(path.join(CORPUS, 'exo_graph_objects/graph_docs_examples')).map((f) => `exo_graph_objects/graph_docs_examples/${f}`).filter((f) => GRAPH_DOC_LOGS.test(f)) : []) {
    // MANIFEST's record counts for these documentation pages count something else (66 for one signIn), so none is compared.
    it(`${file}: Microsoft's documentation example parses`, () => {
      const { parsed } = parseFile(file);
      expect(parsed.length).toBeGreaterThan(0);
      expect(parsed.every((p) => p.event !== null)).toBe(true);
    });
  }

  it('reads the UTF-8 BOM of every portal CSV export', () => {
    const csvs = logFiles.filter((e) => e.format === 'csv/utf-8-bom');
    expect(csvs.length).toBeGreaterThanOrEqual(4);
    for (const e of csvs) {
      const { bom, parsed } = parseFile(e.file);
      expect(bom, e.file).toBe('utf-8');
      // The BOM is not glued to the first column's name: the rows' ids were found under their real column names.
      expect(parsed.every((p) => p.row.id.length > 0)).toBe(true);
    }
  });

  it('reads the UTF-16LE PowerShell dumps (scubagear graph mocks)', () => {
    const utf16 = entries.filter((e) => e.format === 'json/utf-16');
    expect(utf16.length).toBeGreaterThan(0);
    for (const e of utf16) {
      const bytes = fs.readFileSync(path.join(CORPUS, e.file));
      expect(bytes[0] === 0xff && bytes[1] === 0xfe, e.file).toBe(true);
      expect(jsonRecords(decodeText(bytes), e.file).length, e.file).toBeGreaterThan(0);
    }
  });

  it('real records normalise to the same operation as their other-source twins', () => {
    const ops = (file: string): Parsed[] => parseFile(file).parsed;
    const opOf = (p: Parsed): string => ('activityDisplayName' in p.row ? p.row.operation : 'rawOperation' in p.row ? p.row.operation : 'sign-in activity');
    const rawOf = (p: Parsed): string => ('activityDisplayName' in p.row ? p.row.activityDisplayName : 'rawOperation' in p.row ? p.row.rawOperation : '');

    // AuditLogs (Log Analytics JSON and portal CSV) write an en dash and a trailing space.
    const certificates = [
      ...ops('entra_audit/otrf_goldensaml/AADAuditEvents.json'),
      ...ops('entra_audit/sentinel_training_lab/AuditLogs_Hunting.csv'),
      ...ops('entra_audit/sekoia_entraid_graphapi/events.jsonl'),
    ].filter((p) => rawOf(p).startsWith('Update application') && rawOf(p).includes('Certificates'));
    expect(certificates.length).toBeGreaterThanOrEqual(3);
    expect(certificates.some((p) => rawOf(p) === 'Update application – Certificates and secrets management ')).toBe(true);
    for (const p of certificates) expect(opOf(p)).toBe(normalizeOperation('Update application - Certificates and secrets management'));

    // The real Event Hub "Add service principal credentials" meets the UAL's period-terminated spelling.
    const credentials = ops('entra_audit/elastic_integrations/test-audit-logs-sample.log').filter((p) => rawOf(p) === 'Add service principal credentials');
    expect(credentials).toHaveLength(1);
    expect(opOf(credentials[0]!)).toBe(normalizeOperation('Add service principal credentials.'));

    // The UAL's real "Add member to role." and "Consent to application." meet the directory audit names.
    const ual = ops('ual/sekoia_o365_mgmt_api/events.jsonl');
    const byRaw = (raw: string): Parsed | undefined => ual.find((p) => rawOf(p) === raw);
    expect(opOf(byRaw('Add member to role.')!)).toBe(normalizeOperation('Add member to role'));
    expect(opOf(byRaw('Consent to application.')!)).toBe(normalizeOperation('Consent to application'));
    expect(opOf(byRaw('Add application.')!)).toBe(normalizeOperation('Add application'));
  });

  it('reads the real ExchangeAdmin cmdlet parameters and the UAL\'s bracketed IPv6 with port', () => {
    const plaso = parseFile('ual/plaso/microsoft_audit_log.jsonl').parsed as ParsedUnifiedAudit[];
    const auditConfig = plaso.find((p) => p.row.rawOperation === 'Set-AdminAuditLogConfig')!;
    expect(auditConfig.row.recordType).toBe('ExchangeAdmin');
    expect(auditConfig.row.parameters).toContainEqual({ Name: 'AdminAuditLogEnabled', Value: 'True' });
    expect(auditConfig.event).toMatchObject({ targetType: 'AdminAuditLogConfig', at: '2022-05-07T12:56:24.000Z' });

    const inboxRules = parseFile('ual/sentinel_training_lab/office_activity_inbox_rule.csv').parsed as ParsedUnifiedAudit[];
    expect(inboxRules.map((p) => p.row.clientIp)).toEqual(['2a01:110:8068:7:9bf8:aa87:e00a:5f1f', '2a01:110:8068:7:9bf8:aa87:e00a:5f1f']);
    expect(inboxRules[0]!.row.parameters.length).toBeGreaterThan(0);
  });

  it('reads the portal CSV sign-ins: failures from one IP with their error codes and US-format UTC times', () => {
    const rows = parseFile('signins/sentinel_training_lab/sign-in_adelete.csv').parsed as ParsedSignIn[];
    expect(rows[0]!.row).toMatchObject({ createdAt: '2021-04-28T14:08:45.221Z', errorCode: 0, isInteractive: true, ipAddress: '175.45.176.99' });
    const disabled = parseFile('signins/sentinel_training_lab/disable_accounts.csv').parsed as ParsedSignIn[];
    expect(disabled.map((p) => p.row.errorCode)).toEqual([50057, 50057, 50057, 50057]);
    // That export projected the time columns away: rows are kept, without a place on the timeline.
    expect(disabled.every((p) => p.event === null && p.row.createdAt === null)).toBe(true);
  });
});
