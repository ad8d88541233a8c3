// IOC export: merging across findings, the false-positive rule, RFC 4180 CSV with formula neutralising, and a STIX 2.1 bundle checked by a validator for the pattern subset we emit.
import { describe, expect, it } from 'vitest';
import type { DetectionReport, Finding, Ioc } from '../../preload/contract';
import { collectIocs, iocCsv, iocStix, parseAddressBlock, stixPattern, uuidV5, type IocStixOptions } from '../../main/detect/iocs';

// ---- fixtures ------------------------------------------------------------------------------

const APP_ID = 'aaaaaaaa-1111-4222-8333-444444444444';
const SP_ID = 'bbbbbbbb-5555-4666-8777-888888888888';
const COMMA_ACCOUNT = '-svc,backup@northwind.com';
const QUOTE_ACCOUNT = "o'brien\\ops@northwind.com";
const CONNECTOR_NAME = '=HYPERLINK("http://evil.example","open")';

function finding(over: Partial<Finding> & { key: string; iocs: Ioc[] }): Finding {
  return {
    ruleId: over.key.split(':')[0]!,
    title: `Title of ${over.key}`,
    severity: 'medium',
    confidence: 'medium',
    attack: [],
    explanation: '',
    reason: '',
    remediation: { phase: 'contain', step: '' },
    covers: [],
    stage: null,
    subject: { type: 'test', id: over.key, name: null },
    firstAt: null,
    lastAt: null,
    objects: [],
    events: [],
    triage: { state: 'open', note: '', at: null, by: null },
    ours: false,
    ...over,
  };
}

const stuffing = finding({
  key: 'signins.credential-stuffing:203.0.113.7',
  title: 'Credential stuffing',
  severity: 'high',
  confidence: 'high',
  attack: ['T1110.004'],
  firstAt: '2026-05-01T08:00:00Z',
  lastAt: '2026-05-01T09:30:00Z',
  iocs: [
    { type: 'ip', value: '203.0.113.7', context: 'credential stuffing source' },
    { type: 'account', value: COMMA_ACCOUNT, context: 'signed in from 203.0.113.7 during credential stuffing' },
    { type: 'account', value: QUOTE_ACCOUNT, context: 'signed in from 203.0.113.7 during credential stuffing' },
  ],
});

const consent = finding({
  key: 'oauth-app.consent:app-1',
  title: 'Consent to an app holding Exchange.ManageAsApp',
  severity: 'critical',
  confidence: 'medium',
  attack: ['T1098.003', 'T1528'],
  firstAt: '2026-05-02T10:00:00.000Z',
  lastAt: '2026-05-02T10:05:00Z',
  iocs: [
    { type: 'ip', value: ' 203.0.113.7 ', context: 'consent granted from it' },
    { type: 'app-id', value: APP_ID.toUpperCase(), context: 'app the attacker registered' },
    { type: 'service-principal-id', value: SP_ID, context: 'its service principal' },
  ],
});

const connector = finding({
  key: 'mail-flow.inbound-connector:conn-1',
  title: 'Inbound connector accepting any sender',
  severity: 'medium',
  confidence: 'high',
  attack: ['T1564.008', 'not-a-technique'],
  firstAt: '2026-05-03T00:00:00Z',
  lastAt: '2026-05-04T00:00:00Z',
  iocs: [
    { type: 'connector-sender-ip', value: '198.51.100.77/24', context: 'connector Ran_abcde accepts mail from it' },
    { type: 'connector-sender-ip', value: '2001:DB8:0:0:0:0:0:1', context: 'connector Ran_abcde accepts mail from it' },
    { type: 'connector-sender-ip', value: '192.0.2.10-192.0.2.20', context: 'connector Ran_abcde accepts mail from it' },
    { type: 'object-name', value: CONNECTOR_NAME, context: 'inbound connector name,\nas the attacker typed it' },
    { type: 'app-id', value: APP_ID, context: 'created the connector' },
  ],
});

const dismissed = finding({
  key: 'signins.impossible-travel:eve',
  title: 'Impossible travel',
  severity: 'critical',
  confidence: 'high',
  firstAt: '2026-04-01T00:00:00Z',
  lastAt: '2026-06-01T00:00:00Z',
  triage: { state: 'false_positive', note: 'VPN', at: '2026-06-02T00:00:00Z', by: 'examiner' },
  iocs: [
    { type: 'ip', value: '192.0.2.99', context: 'VPN egress' },
    { type: 'ip', value: '203.0.113.7', context: 'dismissed context' },
    { type: 'email', value: 'eve@northwind.com', context: 'traveller' },
  ],
});

const report: DetectionReport = {
  runId: '11111111-2222-4333-8444-555555555555',
  collectedAt: '2026-06-01T12:00:00Z',
  findings: [consent, stuffing, connector, dismissed],
  storyline: [],
  rules: [],
  elapsedMs: 1,
};

const now = new Date('2026-06-02T10:11:12.345Z');
const stixOptions = { caseId: '9f0e8d7c-6b5a-4321-8fed-cba987654321', caseName: 'Northwind / BEC — Juné', examiner: 'Dana Examiner', now, toolVersion: '0.1.0' };

// ---- collectIocs ---------------------------------------------------------------------------

describe('collectIocs', () => {
  const rows = collectIocs(report);
  const row = (type: string, value: string) => rows.find((r) => r.type === type && r.value === value);

  it('keeps one row per distinct type and value', () => {
    const keys = rows.map((r) => `${r.type}|${r.value}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.sort()).toEqual(
      [
        'ip|203.0.113.7',
        `account|${COMMA_ACCOUNT}`,
        `account|${QUOTE_ACCOUNT}`,
        `app-id|${APP_ID}`,
        `service-principal-id|${SP_ID}`,
        'connector-sender-ip|198.51.100.0/24',
        'connector-sender-ip|2001:db8::1',
        'connector-sender-ip|192.0.2.10-192.0.2.20',
        `object-name|${CONNECTOR_NAME}`,
      ].sort(),
    );
  });

  it('merges an IP shared by findings: contexts, keys, rules, highest severity, first and last seen', () => {
    expect(row('ip', '203.0.113.7')).toEqual({
      type: 'ip',
      value: '203.0.113.7',
      contexts: ['consent granted from it', 'credential stuffing source'],
      findingKeys: [consent.key, stuffing.key],
      ruleIds: ['oauth-app.consent', 'signins.credential-stuffing'],
      titles: [consent.title, stuffing.title],
      attack: ['T1098.003', 'T1528', 'T1110.004'],
      severity: 'critical',
      confidence: 'high',
      firstSeen: '2026-05-01T08:00:00Z',
      lastSeen: '2026-05-02T10:05:00Z',
      falsePositive: false,
    });
  });

  it('merges an app id written in two cases, in lower case', () => {
    const app = row('app-id', APP_ID);
    expect(app?.findingKeys).toEqual([consent.key, connector.key]);
    expect(app?.contexts).toEqual(['app the attacker registered', 'created the connector']);
    expect(app?.severity).toBe('critical');
  });

  it('writes addresses canonically: network of a CIDR, RFC 5952 IPv6', () => {
    expect(row('connector-sender-ip', '198.51.100.0/24')).toBeDefined();
    expect(row('connector-sender-ip', '2001:db8::1')).toBeDefined();
  });

  it('leaves out IOCs that only false-positive findings hold, and does not let them vouch for others', () => {
    expect(rows.some((r) => r.value === '192.0.2.99' || r.value === 'eve@northwind.com')).toBe(false);
    expect(row('ip', '203.0.113.7')?.contexts).not.toContain('dismissed context');
    expect(row('ip', '203.0.113.7')?.findingKeys).not.toContain(dismissed.key);
  });

  it('keeps them on request, marked', () => {
    const all = collectIocs(report, { includeFalsePositives: true });
    expect(all).toHaveLength(rows.length + 2);
    const vpn = all.find((r) => r.value === '192.0.2.99');
    expect(vpn).toMatchObject({ falsePositive: true, findingKeys: [dismissed.key], severity: 'critical', firstSeen: '2026-04-01T00:00:00Z' });
    expect(all.find((r) => r.value === '203.0.113.7')?.falsePositive).toBe(false);
  });

  it('orders by severity, then first seen', () => {
    expect(rows[0]?.severity).toBe('critical');
    expect(rows.map((r) => r.severity)).toEqual([...rows.map((r) => r.severity)].sort((a, b) => rank(b) - rank(a)));
  });
});

function rank(s: string) {
  return ['info', 'low', 'medium', 'high', 'critical'].indexOf(s);
}

// ---- CSV -----------------------------------------------------------------------------------

/** A strict RFC 4180 reader: CRLF record ends only, quotes only around whole fields. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let i = 0;
  while (i < text.length) {
    let field = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= text.length) throw new Error('unterminated quote');
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
          } else {
            i++;
            break;
          }
        } else field += text[i++];
      }
    } else {
      while (i < text.length && text[i] !== ',' && text[i] !== '\r') {
        if (text[i] === '"' || text[i] === '\n') throw new Error(`bare ${JSON.stringify(text[i])} at ${i}`);
        field += text[i++];
      }
    }
    record.push(field);
    if (text[i] === ',') i++;
    else if (text.startsWith('\r\n', i)) {
      records.push(record);
      record = [];
      i += 2;
    } else throw new Error(`expected , or CRLF at ${i}`);
  }
  if (record.length) throw new Error('last record not ended by CRLF');
  return records;
}

describe('iocCsv', () => {
  const file = iocCsv(report, { caseName: stixOptions.caseName, now });
  const records = () => parseCsv(file.content);

  it('names the file after the case and the time, as text/csv', () => {
    expect(file.fileName).toBe('peregrine-iocs-northwind-bec-june-20260602T101112Z.csv');
    expect(file.mediaType).toBe('text/csv');
    expect(file.count).toBe(collectIocs(report).length);
  });

  it('ends every line with CRLF and has no bare LF outside quotes', () => {
    expect(file.content.endsWith('\r\n')).toBe(true);
    expect(file.content.replace(/"(?:[^"]|"")*"/g, '').match(/(?<!\r)\n/)).toBeNull();
    expect(records()[0]).toEqual(['type', 'value', 'severity', 'first_seen', 'last_seen', 'context', 'findings']);
    expect(records().every((r) => r.length === 7)).toBe(true);
  });

  it('reads back to the rows, apostrophes aside', () => {
    const unguard = (s: string) => (/^'[=+\-@\t\r]/.test(s) ? s.slice(1) : s);
    const back = records().slice(1).map((r) => r.map(unguard));
    expect(back).toEqual(
      collectIocs(report).map((row) => [row.type, row.value, row.severity, row.firstSeen ?? '', row.lastSeen ?? '', row.contexts.join('; '), row.findingKeys.join('; ')]),
    );
  });

  it('quotes fields with commas, quotes and line breaks, and neutralises formulas', () => {
    expect(file.content).toContain(`,"'-svc,backup@northwind.com",`);
    expect(file.content).toContain(`,"'=HYPERLINK(""http://evil.example"",""open"")",`);
    expect(file.content).toContain(`"inbound connector name,\nas the attacker typed it"`);
    const values = records().slice(1).map((r) => r[1]!);
    for (const v of values) expect(v).not.toMatch(/^[=+\-@\t\r]/);
    expect(values).toContain(`'${COMMA_ACCOUNT}`);
    expect(values).toContain(`'${CONNECTOR_NAME}`);
    expect(values).toContain('203.0.113.7');
  });

  it('marks false positives in the context when they are included', () => {
    const all = parseCsv(iocCsv(report, { caseName: 'x', now, includeFalsePositives: true }).content);
    expect(all.find((r) => r[1] === '192.0.2.99')?.[5]).toBe('triaged false positive; VPN egress');
  });

  it('writes only the header for a report without findings', () => {
    const empty = iocCsv({ ...report, findings: [] }, { caseName: '***', now });
    expect(empty.content).toBe('type,value,severity,first_seen,last_seen,context,findings\r\n');
    expect(empty.count).toBe(0);
    expect(empty.fileName).toBe('peregrine-iocs-case-20260602T101112Z.csv');
  });
});

// ---- a validator for the STIX pattern subset we emit ----------------------------------------

interface Comparison {
  object: string;
  property: string;
  op: '=' | 'ISSUBSET';
  value: string | boolean;
}

const PROPERTIES: Record<string, Record<string, 'string' | 'boolean'>> = {
  'ipv4-addr': { value: 'string' },
  'ipv6-addr': { value: 'string' },
  'email-addr': { value: 'string' },
  'user-account': { account_login: 'string', user_id: 'string', is_service_account: 'boolean' },
};
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/**
 * One observation expression `[c (AND|OR) c …]` (no mixing, no parentheses), each comparison
 * `object-type:property op literal` with op = or ISSUBSET and a literal that is a quoted string
 * (only \' and \\ escapes) or true/false, per the STIX 2.1 patterning grammar. AND-joined
 * comparisons must name one object type (spec 9.3). Throws on anything else.
 */
function parseStixPattern(pattern: string): { join: 'AND' | 'OR' | null; comparisons: Comparison[] } {
  const body = /^\[(.*)\]$/s.exec(pattern)?.[1];
  if (body === undefined) throw new Error(`not one observation expression: ${pattern}`);
  const comparison = /^([a-z0-9][a-z0-9-]*[a-z0-9]):([a-z_][a-z0-9_]*) (=|ISSUBSET) ('(?:[^'\\]|\\['\\])*'|true|false)/;
  const comparisons: Comparison[] = [];
  const joins = new Set<'AND' | 'OR'>();
  let rest = body;
  for (;;) {
    const m = comparison.exec(rest);
    if (!m) throw new Error(`bad comparison at: ${rest}`);
    const [whole, object, property, op, literal] = m as unknown as [string, string, string, '=' | 'ISSUBSET', string];
    const kind = PROPERTIES[object]?.[property];
    if (!kind) throw new Error(`unknown property ${object}:${property}`);
    const isString = literal.startsWith("'");
    if ((kind === 'string') !== isString) throw new Error(`wrong literal type for ${object}:${property}`);
    const value = isString ? literal.slice(1, -1).replace(/\\(['\\])/g, '$1') : literal === 'true';
    if (op === 'ISSUBSET' && !(property === 'value' && object.startsWith('ip') && typeof value === 'string' && value.includes('/')))
      throw new Error('ISSUBSET only on an address with a CIDR');
    if (object === 'ipv4-addr') {
      const [address, prefix] = String(value).split('/');
      if (!IPV4.test(address!) || (prefix !== undefined && !(/^\d{1,2}$/.test(prefix) && Number(prefix) <= 32))) throw new Error(`bad IPv4 ${String(value)}`);
    }
    if (object === 'ipv6-addr' && !/^[0-9a-f:]+(\/\d{1,3})?$/.test(String(value))) throw new Error(`bad IPv6 ${String(value)}`);
    comparisons.push({ object, property, op, value });
    rest = rest.slice(whole.length);
    if (rest === '') break;
    const join = /^ (AND|OR) /.exec(rest);
    if (!join) throw new Error(`expected AND/OR at: ${rest}`);
    joins.add(join[1] as 'AND' | 'OR');
    rest = rest.slice(join[0].length);
  }
  if (joins.size > 1) throw new Error('AND and OR mixed without parentheses');
  const join = [...joins][0] ?? null;
  if (join === 'AND' && new Set(comparisons.map((c) => c.object)).size > 1) throw new Error('AND across object types');
  return { join, comparisons };
}

describe('the test pattern validator', () => {
  it.each([
    "[ipv4-addr:value = '1.2.3.4'",
    "[ipv4-addr:value = '1.2.3.256']",
    "[ipv4-addr:value = '1.2.3.4/33']",
    "[ipv4-addr:value ISSUBSET '1.2.3.4']",
    "[email-addr:value = 'o'brien@x']",
    "[email-addr:value = 'a\\b@x']",
    "[software:x_app_id = 'abc']",
    "[user-account:is_service_account = 'true']",
    "[user-account:user_id = 'a' AND email-addr:value = 'b']",
    "[user-account:user_id = 'a' AND user-account:user_id = 'b' OR user-account:user_id = 'c']",
    "[user-account:user_id == 'a']",
  ])('rejects %s', (pattern) => {
    expect(() => parseStixPattern(pattern)).toThrow();
  });

  it('accepts what the grammar allows', () => {
    expect(parseStixPattern("[user-account:account_login = 'o\\'b\\\\x' AND user-account:is_service_account = true]").comparisons.map((c) => c.value)).toEqual([
      "o'b\\x",
      true,
    ]);
  });
});

// ---- STIX ----------------------------------------------------------------------------------

type Stix = Record<string, unknown> & { type: string; id: string };
const STIX_ID = /^[a-z0-9-]+--[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const STIX_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const INDICATOR_TYPES = ['anomalous-activity', 'anonymization', 'benign', 'compromised', 'malicious-activity', 'attribution', 'unknown'];

function bundleOf(options: IocStixOptions = stixOptions, source = report) {
  const file = iocStix(source, options);
  return { file, bundle: JSON.parse(file.content) as { type: string; id: string; objects: Stix[]; spec_version?: unknown } };
}

describe('iocStix', () => {
  const { file, bundle } = bundleOf();
  const objects = bundle.objects;
  const indicators = objects.filter((o) => o.type === 'indicator');
  const byValue = (value: string) => indicators.find((i) => (i.name as string).endsWith(` ${value}`));

  it('is a STIX 2.1 bundle file', () => {
    expect(file.fileName).toBe('peregrine-iocs-northwind-bec-june-20260602T101112Z.stix.json');
    expect(file.mediaType).toBe('application/stix+json;version=2.1');
    expect(file.content).toContain('\n  "objects": [');
    expect(bundle.type).toBe('bundle');
    expect(bundle.id).toMatch(STIX_ID);
    expect(bundle.id.startsWith('bundle--')).toBe(true);
    expect(bundle.spec_version).toBeUndefined();
    expect(objects.map((o) => o.type).sort()).toEqual(['identity', 'report', ...Array(indicators.length).fill('indicator')].sort());
  });

  it('gives every object the common properties and a UUIDv5 id of its own type', () => {
    for (const o of objects) {
      expect(o.id).toMatch(STIX_ID);
      expect(o.id.startsWith(`${o.type}--`)).toBe(true);
      expect(o.spec_version).toBe('2.1');
      expect(o.created).toMatch(STIX_TIME);
      expect(o.modified).toMatch(STIX_TIME);
      expect(o.created).toBe('2026-06-02T10:11:12.345Z');
      expect(o.modified! >= o.created!).toBe(true);
    }
    expect(new Set(objects.map((o) => o.id)).size).toBe(objects.length);
  });

  it('credits the examiner, and every reference resolves', () => {
    const ids = new Set(objects.map((o) => o.id));
    const identity = objects.find((o) => o.type === 'identity')!;
    expect(identity).toMatchObject({ name: 'Dana Examiner', identity_class: 'individual' });
    for (const o of objects.filter((x) => x.type !== 'identity')) expect(o.created_by_ref).toBe(identity.id);
    const stixReport = objects.find((o) => o.type === 'report')!;
    expect(stixReport).toMatchObject({ name: 'Peregrine findings: Northwind / BEC — Juné', report_types: ['threat-report'], published: '2026-06-02T10:11:12.345Z' });
    const refs = stixReport.object_refs as string[];
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) expect(ids.has(ref)).toBe(true);
    expect(new Set(refs)).toEqual(new Set([identity.id, ...indicators.map((i) => i.id)]));
    expect(stixReport.description).toMatch(/1 IOC has no STIX pattern/);
  });

  it('emits one indicator per IOC with a pattern, each valid for the grammar and carrying its value', () => {
    const rows = collectIocs(report).filter((r) => r.type !== 'object-name');
    expect(indicators).toHaveLength(rows.length);
    expect(file.count).toBe(rows.length);
    for (const row of rows) {
      const indicator = byValue(row.value);
      expect(indicator, row.value).toBeDefined();
      expect(indicator!.pattern_type).toBe('stix');
      const parsed = parseStixPattern(indicator!.pattern as string);
      if (!row.type.includes('ip')) expect(parsed.comparisons[0]!.value).toBe(row.value);
      expect(indicator!.valid_from).toMatch(STIX_TIME);
      expect(indicator!.valid_from).toBe(new Date(row.firstSeen!).toISOString());
      expect(Number.isInteger(indicator!.confidence)).toBe(true);
      expect(indicator!.confidence).toBeGreaterThanOrEqual(0);
      expect(indicator!.confidence).toBeLessThanOrEqual(100);
      for (const t of indicator!.indicator_types as string[]) expect(INDICATOR_TYPES).toContain(t);
      expect(indicator!.description).toEqual(expect.stringContaining(row.titles[0]!));
    }
  });

  it('chooses these patterns', () => {
    expect(byValue('203.0.113.7')?.pattern).toBe("[ipv4-addr:value = '203.0.113.7']");
    expect(byValue('198.51.100.0/24')?.pattern).toBe("[ipv4-addr:value ISSUBSET '198.51.100.0/24']");
    expect(byValue('2001:db8::1')?.pattern).toBe("[ipv6-addr:value = '2001:db8::1']");
    expect(byValue('192.0.2.10-192.0.2.20')?.pattern).toBe(
      "[ipv4-addr:value ISSUBSET '192.0.2.10/31' OR ipv4-addr:value ISSUBSET '192.0.2.12/30' OR ipv4-addr:value ISSUBSET '192.0.2.16/30' OR ipv4-addr:value = '192.0.2.20']",
    );
    expect(byValue(APP_ID)?.pattern).toBe(`[user-account:account_login = '${APP_ID}' AND user-account:is_service_account = true]`);
    expect(byValue(SP_ID)?.pattern).toBe(`[user-account:user_id = '${SP_ID}' AND user-account:is_service_account = true]`);
    expect(byValue(COMMA_ACCOUNT)?.pattern).toBe(`[user-account:account_login = '${COMMA_ACCOUNT}']`);
    expect(stixPattern('email', 'eve@northwind.com')).toBe("[email-addr:value = 'eve@northwind.com']");
    expect(stixPattern('object-name', CONNECTOR_NAME)).toBeNull();
    expect(stixPattern('ip', 'not an address')).toBeNull();
    expect(stixPattern('ip', '2001:db8::/32')).toBe("[ipv6-addr:value ISSUBSET '2001:db8::/32']");
    expect(stixPattern('ip', '10.0.0.1/32')).toBe("[ipv4-addr:value = '10.0.0.1']");
  });

  it('escapes quotes and backslashes in patterns', () => {
    const pattern = byValue(QUOTE_ACCOUNT)?.pattern as string;
    expect(pattern).toBe("[user-account:account_login = 'o\\'brien\\\\ops@northwind.com']");
    expect(parseStixPattern(pattern).comparisons[0]!.value).toBe(QUOTE_ACCOUNT);
  });

  it('rates indicators: type by severity, confidence from the findings, ATT&CK references', () => {
    expect(byValue('203.0.113.7')).toMatchObject({ indicator_types: ['malicious-activity'], confidence: 85, labels: ['severity-critical'], valid_from: '2026-05-01T08:00:00.000Z' });
    expect(byValue('198.51.100.0/24')).toMatchObject({ indicator_types: ['anomalous-activity'], confidence: 85 });
    expect(byValue(SP_ID)).toMatchObject({ confidence: 50 });
    expect(byValue('203.0.113.7')?.external_references).toEqual([
      { source_name: 'mitre-attack', external_id: 'T1098.003', url: 'https://attack.mitre.org/techniques/T1098/003/' },
      { source_name: 'mitre-attack', external_id: 'T1528', url: 'https://attack.mitre.org/techniques/T1528/' },
      { source_name: 'mitre-attack', external_id: 'T1110.004', url: 'https://attack.mitre.org/techniques/T1110/004/' },
    ]);
    expect((byValue('198.51.100.0/24')?.external_references as { external_id: string }[]).map((r) => r.external_id)).toEqual(['T1564.008']);
  });

  it('keeps ids across exports of the same case, and only there', () => {
    const later = bundleOf({ ...stixOptions, now: new Date('2026-07-01T00:00:00.000Z') }).bundle;
    expect(later.objects.map((o) => o.id)).toEqual(objects.map((o) => o.id));
    expect(later.id).not.toBe(bundle.id);
    expect(bundleOf().bundle.id).toBe(bundle.id);
    const other = bundleOf({ ...stixOptions, caseId: '00000000-0000-4000-8000-000000000000' }).bundle;
    for (const o of other.objects) expect(objects.map((x) => x.id)).not.toContain(o.id);
  });

  it('marks included false positives benign', () => {
    const all = bundleOf({ ...stixOptions, includeFalsePositives: true }).bundle.objects;
    const vpn = all.find((o) => o.pattern === "[ipv4-addr:value = '192.0.2.99']");
    expect(vpn).toMatchObject({ indicator_types: ['benign'] });
    expect(vpn?.description).toMatch(/^Every finding holding it was triaged false positive\./);
    expect(objects.some((o) => o.pattern === "[ipv4-addr:value = '192.0.2.99']")).toBe(false);
  });

  it('still makes a valid bundle without findings or examiner', () => {
    const { file: empty, bundle: b } = bundleOf({ ...stixOptions, examiner: '  ' }, { ...report, findings: [] });
    expect(empty.count).toBe(0);
    expect(b.objects.map((o) => o.type)).toEqual(['identity', 'report']);
    expect(b.objects[0]).toMatchObject({ identity_class: 'system', name: 'Peregrine' });
    expect(b.objects[1]!.object_refs).toEqual([b.objects[0]!.id]);
  });
});

describe('uuidV5 and addresses', () => {
  it('matches the RFC 9562 / Python uuid5 vector', () => {
    expect(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });

  it.each([
    ['10.1.2.3', '10.1.2.3', '10.1.2.3'],
    ['10.1.2.3/8', '10.0.0.0', '10.255.255.255'],
    ['2001:db8::5/126', '2001:db8::4', '2001:db8::7'],
    [' 192.0.2.1 - 192.0.2.9 ', '192.0.2.1', '192.0.2.9'],
  ])('parses %s', (text, first, last) => {
    const block = parseAddressBlock(text);
    expect(block?.first).toBe(parseAddressBlock(first)!.first);
    expect(block?.last).toBe(parseAddressBlock(last)!.first);
  });

  it.each([
    ['2001:0DB8:0000:0000:0001:0000:0000:0001', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['::FFFF:1.2.3.4', '::ffff:1.2.3.4'],
    ['0:0:0:0:0:0:0:0', '::'],
  ])('writes %s as %s (RFC 5952)', (text, canonical) => {
    expect(stixPattern('ip', text)).toBe(`[ipv6-addr:value = '${canonical}']`);
  });

  it.each(['1.2.3', '1.2.3.4.5', '300.1.1.1', '1.2.3.4/33', '1::2::3', '12345::', '10.0.0.9-10.0.0.1', '10.0.0.1-::1', 'fe80::1%eth0'])('rejects %s', (text) => {
    expect(parseAddressBlock(text)).toBeNull();
  });
});
