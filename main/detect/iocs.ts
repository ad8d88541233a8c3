// Main process / CLI / workers: the findings' indicators of compromise, merged per value, as a CSV for people and a STIX 2.1 bundle for threat-intel platforms.
import { createHash } from 'node:crypto';
import type { Confidence, DetectionReport, Finding, IocFile, IocType, Severity } from '../../preload/contract';
import { SEVERITY_RANK } from './types';

/** One indicator across every finding that names it. */
export interface IocRow {
  type: IocType;
  /** Addresses in canonical form (IPv6 per RFC 5952), GUIDs in lower case, anything else as the first finding spelled it. */
  value: string;
  /** Every distinct context the findings give, in finding order. */
  contexts: string[];
  findingKeys: string[];
  ruleIds: string[];
  /** The titles of those findings, for the STIX description. */
  titles: string[];
  /** MITRE ATT&CK technique ids of those findings. */
  attack: string[];
  severity: Severity;
  confidence: Confidence;
  /** The earliest firstAt and the latest lastAt of those findings. */
  firstSeen: string | null;
  lastSeen: string | null;
  /** Every finding holding it was triaged false_positive. */
  falsePositive: boolean;
}

export interface CollectOptions {
  /** Keep IOCs whose every finding was triaged false_positive (left out by default). */
  includeFalsePositives?: boolean;
}

export interface IocCsvOptions extends CollectOptions {
  caseName: string;
  now: Date;
}

export interface IocStixOptions extends IocCsvOptions {
  caseId: string;
  examiner: string;
  toolVersion: string;
}

const TYPE_ORDER: readonly IocType[] = ['ip', 'connector-sender-ip', 'app-id', 'service-principal-id', 'account', 'email', 'object-name'];
const CONFIDENCE_RANK: Record<Confidence, number> = { low: 0, medium: 1, high: 2 };

/**
 * One row per distinct (type, value), case-insensitively as the engine dedupes within a finding,
 * with IP addresses compared in canonical form. A finding triaged false_positive does not vouch
 * for an IOC: while any other finding holds it, only those others give its severity, dates,
 * contexts and finding keys.
 */
export function collectIocs(report: DetectionReport, options: CollectOptions = {}): IocRow[] {
  const holders = new Map<string, { type: IocType; value: string; entries: { finding: Finding; context: string }[] }>();
  for (const finding of report.findings) {
    for (const ioc of finding.iocs) {
      const value = canonicalValue(ioc.type, ioc.value);
      if (value === '') continue;
      const key = `${ioc.type}|${value.toLowerCase()}`;
      let holder = holders.get(key);
      if (!holder) holders.set(key, (holder = { type: ioc.type, value, entries: [] }));
      holder.entries.push({ finding, context: ioc.context.trim() });
    }
  }
  const rows: IocRow[] = [];
  for (const { type, value, entries } of holders.values()) {
    const vouching = entries.filter((e) => e.finding.triage.state !== 'false_positive');
    const falsePositive = vouching.length === 0;
    if (falsePositive && !options.includeFalsePositives) continue;
    const counted = falsePositive ? entries : vouching;
    const findings = distinct(counted.map((e) => e.finding));
    rows.push({
      type,
      value,
      contexts: distinct(counted.map((e) => e.context).filter((c) => c !== '')),
      findingKeys: findings.map((f) => f.key),
      ruleIds: distinct(findings.map((f) => f.ruleId)),
      titles: distinct(findings.map((f) => f.title)),
      attack: distinct(findings.flatMap((f) => f.attack)),
      severity: findings.map((f) => f.severity).reduce((a, b) => (SEVERITY_RANK[b] > SEVERITY_RANK[a] ? b : a)),
      confidence: findings.map((f) => f.confidence).reduce((a, b) => (CONFIDENCE_RANK[b] > CONFIDENCE_RANK[a] ? b : a)),
      firstSeen: extreme(findings.map((f) => f.firstAt), -1),
      lastSeen: extreme(findings.map((f) => f.lastAt), 1),
      falsePositive,
    });
  }
  return rows.sort(
    (a, b) =>
      SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
      timeOf(a.firstSeen) - timeOf(b.firstSeen) ||
      TYPE_ORDER.indexOf(a.type) - TYPE_ORDER.indexOf(b.type) ||
      (a.value < b.value ? -1 : a.value > b.value ? 1 : 0),
  );
}

// ---- CSV -----------------------------------------------------------------------------------

const CSV_HEADER = ['type', 'value', 'severity', 'first_seen', 'last_seen', 'context', 'findings'];

/**
 * RFC 4180: CRLF after every record, a field in double quotes when it holds a comma, a quote,
 * CR or LF, quotes doubled. The file is meant to be opened in a spreadsheet, and values and
 * contexts carry names the attacker chose (a connector called `=HYPERLINK(…)`) or start oddly by
 * nature (`-svc` accounts), so, as OWASP advises against CSV injection, a field starting with
 * = + - @ TAB or CR gets a leading apostrophe: the spreadsheet shows it as text. A program reading
 * the CSV sees the apostrophe; machines should read the STIX bundle instead.
 */
export function iocCsv(report: DetectionReport, opts: IocCsvOptions): IocFile {
  const rows = collectIocs(report, opts);
  const records = [
    CSV_HEADER,
    ...rows.map((row) => [
      row.type,
      row.value,
      row.severity,
      row.firstSeen ?? '',
      row.lastSeen ?? '',
      (row.falsePositive ? ['triaged false positive', ...row.contexts] : row.contexts).join('; '),
      row.findingKeys.join('; '),
    ]),
  ];
  return {
    fileName: `peregrine-iocs-${slug(opts.caseName)}-${compactStamp(opts.now)}.csv`,
    mediaType: 'text/csv',
    content: records.map((r) => r.map(csvField).join(',') + '\r\n').join(''),
    count: rows.length,
  };
}

function csvField(raw: string): string {
  const text = /^[=+\-@\t\r]/.test(raw) ? `'${raw}` : raw;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

// ---- STIX 2.1 ------------------------------------------------------------------------------

/** STIX 2.1 confidence scale "None / Low / Med / High" (Appendix A): the findings' confidence, not their severity. */
const STIX_CONFIDENCE: Record<Confidence, number> = { low: 15, medium: 50, high: 85 };

const TYPE_NAMES: Record<IocType, string> = {
  ip: 'IP address',
  'connector-sender-ip': 'Connector sender IP',
  'app-id': 'Entra application (client) id',
  'service-principal-id': 'Entra service principal object id',
  account: 'Account',
  email: 'Email address',
  'object-name': 'Object name',
};

type StixObject = Record<string, unknown> & { type: string; id: string };

/**
 * A bundle with the examiner's identity, one indicator per IOC and a report that lists them.
 * Every id is a UUIDv5 of the case id and what the object is, so exporting the same case again
 * gives the same ids and a platform updates its indicators instead of duplicating them.
 *
 * Patterns use only STIX Cyber-observable properties of the 2.1 specification, no custom `x_`:
 * - ip, connector-sender-ip: `[ipv4-addr:value = 'a.b.c.d']` or `ipv6-addr` (a colon means IPv6).
 *   A CIDR becomes `ISSUBSET 'net/len'` so any address inside it matches; a range `a-b` (Exchange
 *   connectors accept them) becomes the CIDRs that cover it exactly, joined by OR.
 * - account: `[user-account:account_login = '…']`. These are Entra sign-in names (UPNs): what the
 *   user types to sign in, which the specification defines as account_login. A UPN need not be a
 *   mailbox, so email-addr would claim more than the evidence shows.
 * - email: `[email-addr:value = '…']`.
 * - app-id: `[user-account:account_login = '<appId>' AND user-account:is_service_account = true]`.
 *   STIX has no application object; an app signs in as its service principal, with the app id as
 *   its client id (its login), and is_service_account marks an account that is not a person.
 *   `software` describes installed products (name, CPE, SWID), not a tenant's identities.
 * - service-principal-id: `[user-account:user_id = '<objectId>' AND user-account:is_service_account = true]`:
 *   the service principal's directory object id is the account's identifier, like a SID.
 * - object-name (rule, connector, app display names): no Cyber-observable fits, so it stays in the
 *   CSV and the report's description counts it. So does an IP value that does not parse.
 * String literals escape `\` and `'` as the pattern grammar requires.
 */
export function iocStix(report: DetectionReport, opts: IocStixOptions): IocFile {
  const now = opts.now.toISOString();
  const idFor = (type: string, name: string) => `${type}--${uuidV5(`${opts.caseId}|${type}|${name}`, PEREGRINE_NAMESPACE)}`;
  const examiner = opts.examiner.trim();
  const identity: StixObject = {
    type: 'identity',
    spec_version: '2.1',
    id: idFor('identity', examiner ? `individual|${examiner}` : 'system|peregrine'),
    created: now,
    modified: now,
    name: examiner || 'Peregrine',
    identity_class: examiner ? 'individual' : 'system',
    description: examiner ? `Incident-response examiner; exported with Peregrine ${opts.toolVersion}.` : `Peregrine ${opts.toolVersion}.`,
  };

  const indicators: StixObject[] = [];
  const withoutPattern: IocRow[] = [];
  for (const row of collectIocs(report, opts)) {
    const pattern = stixPattern(row.type, row.value);
    if (pattern === null) {
      withoutPattern.push(row);
      continue;
    }
    const validFrom = row.firstSeen ? stixTime(row.firstSeen) : null;
    indicators.push({
      type: 'indicator',
      spec_version: '2.1',
      id: idFor('indicator', `${row.type}|${row.value.toLowerCase()}`),
      created_by_ref: identity.id,
      created: now,
      modified: now,
      name: `${TYPE_NAMES[row.type]} ${row.value}`,
      description: [
        ...(row.falsePositive ? ['Every finding holding it was triaged false positive.'] : []),
        ...(row.contexts.length ? [`Seen as: ${row.contexts.join('; ')}.`] : []),
        `Findings: ${row.titles.join('; ')}.`,
      ].join(' '),
      indicator_types: row.falsePositive ? ['benign'] : SEVERITY_RANK[row.severity] >= SEVERITY_RANK.high ? ['malicious-activity'] : ['anomalous-activity'],
      pattern,
      pattern_type: 'stix',
      pattern_version: '2.1',
      valid_from: validFrom ?? now,
      labels: [`severity-${row.severity}`],
      confidence: STIX_CONFIDENCE[row.confidence],
      ...(row.attack.some(isTechnique) ? { external_references: row.attack.filter(isTechnique).map(attackReference) } : {}),
    });
  }

  const notes = [
    `${indicators.length} indicator${indicators.length === 1 ? '' : 's'} from the findings of case ${opts.caseName}`,
    report.collectedAt ? ` over the collection of ${report.collectedAt}` : '',
    `, exported with Peregrine ${opts.toolVersion}.`,
    withoutPattern.length
      ? ` ${withoutPattern.length} IOC${withoutPattern.length === 1 ? ' has' : 's have'} no STIX pattern (object names, or addresses that do not parse) and ${withoutPattern.length === 1 ? 'is' : 'are'} in the CSV export only.`
      : '',
  ].join('');
  const reportObject: StixObject = {
    type: 'report',
    spec_version: '2.1',
    id: idFor('report', 'findings'),
    created_by_ref: identity.id,
    created: now,
    modified: now,
    name: `Peregrine findings: ${opts.caseName}`,
    description: notes,
    report_types: ['threat-report'],
    published: now,
    object_refs: [identity.id, ...indicators.map((i) => i.id)],
  };

  const bundle = { type: 'bundle', id: idFor('bundle', now), objects: [identity, ...indicators, reportObject] };
  return {
    fileName: `peregrine-iocs-${slug(opts.caseName)}-${compactStamp(opts.now)}.stix.json`,
    mediaType: 'application/stix+json;version=2.1',
    content: JSON.stringify(bundle, null, 2) + '\n',
    count: indicators.length,
  };
}

/** The pattern for one IOC, or null when no STIX Cyber-observable fits it (see iocStix). */
export function stixPattern(type: IocType, value: string): string | null {
  switch (type) {
    case 'ip':
    case 'connector-sender-ip': {
      const block = parseAddressBlock(value);
      if (!block) return null;
      const object = block.family === 4 ? 'ipv4-addr' : 'ipv6-addr';
      const comparisons = rangeToCidrs(block).map(({ start, prefix }) =>
        prefix === block.bits
          ? `${object}:value = ${stixString(formatAddress(start, block.family))}`
          : `${object}:value ISSUBSET ${stixString(`${formatAddress(start, block.family)}/${prefix}`)}`,
      );
      return `[${comparisons.join(' OR ')}]`;
    }
    case 'account':
      return `[user-account:account_login = ${stixString(value)}]`;
    case 'email':
      return `[email-addr:value = ${stixString(value)}]`;
    case 'app-id':
      return `[user-account:account_login = ${stixString(value)} AND user-account:is_service_account = true]`;
    case 'service-principal-id':
      return `[user-account:user_id = ${stixString(value)} AND user-account:is_service_account = true]`;
    case 'object-name':
      return null;
  }
}

function stixString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** RFC 3339 in UTC with milliseconds, as STIX requires for timestamps; null when it does not parse. */
function stixTime(value: string): string | null {
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

function isTechnique(id: string): boolean {
  return /^T\d{4}(\.\d{3})?$/.test(id);
}

function attackReference(id: string) {
  return { source_name: 'mitre-attack', external_id: id, url: `https://attack.mitre.org/techniques/${id.replace('.', '/')}/` };
}

// ---- UUIDv5 (RFC 9562 §5.5) -----------------------------------------------------------------

const URL_NAMESPACE = '6ba7b811-9dad-11d1-80b4-00c04fd430c8';
/** Peregrine's own namespace for STIX ids, itself a name-based UUID (a URN, in the URL namespace) so it never changes. */
const PEREGRINE_NAMESPACE = uuidV5('urn:peregrine:stix-ids', URL_NAMESPACE);

/** A name-based UUID (SHA-1): the same namespace and name always give the same UUID. */
export function uuidV5(name: string, namespace: string): string {
  const hex = namespace.replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new Error(`Not a UUID: ${namespace}`);
  const bytes = createHash('sha1').update(Buffer.from(hex, 'hex')).update(name, 'utf8').digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const h = bytes.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// ---- addresses -----------------------------------------------------------------------------

interface AddressBlock {
  family: 4 | 6;
  bits: 32 | 128;
  first: bigint;
  last: bigint;
}

/** A single address, a CIDR (host bits dropped) or a range `first-last` of one family; null otherwise. */
export function parseAddressBlock(value: string): AddressBlock | null {
  const text = value.trim();
  const dash = text.indexOf('-');
  if (dash > 0) {
    const first = parseAddress(text.slice(0, dash).trim());
    const last = parseAddress(text.slice(dash + 1).trim());
    if (!first || !last || first.family !== last.family || first.value > last.value) return null;
    return { family: first.family, bits: first.family === 4 ? 32 : 128, first: first.value, last: last.value };
  }
  const [address, prefixText, extra] = text.split('/');
  if (extra !== undefined || address === undefined) return null;
  const parsed = parseAddress(address);
  if (!parsed) return null;
  const bits = parsed.family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? bits : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : -1;
  if (prefix < 0 || prefix > bits) return null;
  const hostMask = (1n << BigInt(bits - prefix)) - 1n;
  const first = parsed.value & ~hostMask;
  return { family: parsed.family, bits, first, last: first | hostMask };
}

function parseAddress(text: string): { family: 4 | 6; value: bigint } | null {
  if (!text.includes(':')) {
    const v4 = parseIpv4(text);
    return v4 === null ? null : { family: 4, value: v4 };
  }
  const v6 = parseIpv6(text);
  return v6 === null ? null : { family: 6, value: v6 };
}

function parseIpv4(text: string): bigint | null {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return null;
  return parts.reduce((acc, p) => (acc << 8n) | BigInt(Number(p)), 0n);
}

function parseIpv6(text: string): bigint | null {
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groupsOf = (part: string): number[] | null => {
    if (part === '') return [];
    const out: number[] = [];
    const pieces = part.split(':');
    for (const [i, piece] of pieces.entries()) {
      if (i === pieces.length - 1 && piece.includes('.')) {
        const v4 = parseIpv4(piece);
        if (v4 === null) return null;
        out.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
      } else if (/^[0-9a-f]{1,4}$/i.test(piece)) out.push(parseInt(piece, 16));
      else return null;
    }
    return out;
  };
  const head = groupsOf(halves[0]!);
  const tail = halves.length === 2 ? groupsOf(halves[1]!) : [];
  if (!head || !tail) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  return [...head, ...new Array<number>(missing).fill(0), ...tail].reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

/** IPv4 dotted decimal; IPv6 per RFC 5952: lower case, no leading zeros, the longest run of two or more zero groups as `::`. */
function formatAddress(value: bigint, family: 4 | 6): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 0xffn)).join('.');
  const groups = [...Array(8).keys()].map((i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) return `::ffff:${formatAddress(value & 0xffffffffn, 4)}`;
  let best = { start: -1, length: 1 };
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.length) best = { start: i, length: j - i };
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.start < 0) return hex.join(':');
  return `${hex.slice(0, best.start).join(':')}::${hex.slice(best.start + best.length).join(':')}`;
}

/** The fewest CIDR blocks that cover exactly first..last. */
function rangeToCidrs(block: AddressBlock): { start: bigint; prefix: number }[] {
  const out: { start: bigint; prefix: number }[] = [];
  let start = block.first;
  while (start <= block.last) {
    let size = 0;
    while (size < block.bits && (start & ((1n << BigInt(size + 1)) - 1n)) === 0n && start + (1n << BigInt(size + 1)) - 1n <= block.last) size++;
    out.push({ start, prefix: block.bits - size });
    start += 1n << BigInt(size);
  }
  return out;
}

// ---- helpers -------------------------------------------------------------------------------

function canonicalValue(type: IocType, raw: string): string {
  const value = raw.trim();
  if (type === 'ip' || type === 'connector-sender-ip') {
    const block = parseAddressBlock(value);
    if (!block) return value;
    const single = block.first === block.last;
    if (value.includes('-') && !single) return `${formatAddress(block.first, block.family)}-${formatAddress(block.last, block.family)}`;
    if (single) return formatAddress(block.first, block.family);
    return `${formatAddress(block.first, block.family)}/${rangeToCidrs(block)[0]!.prefix}`;
  }
  if (type === 'app-id' || type === 'service-principal-id') return value.toLowerCase();
  return value;
}

function distinct<T>(items: T[]): T[] {
  return [...new Set(items)];
}

function timeOf(at: string | null): number {
  const ms = at === null ? NaN : Date.parse(at);
  return Number.isNaN(ms) ? Number.POSITIVE_INFINITY : ms;
}

/** The earliest (direction -1) or latest (1) parseable timestamp, as the findings wrote it. */
function extreme(times: (string | null)[], direction: -1 | 1): string | null {
  let best: string | null = null;
  for (const t of times) {
    if (t === null || Number.isNaN(Date.parse(t))) continue;
    if (best === null || Math.sign(Date.parse(t) - Date.parse(best)) === direction) best = t;
  }
  return best;
}

/** A file-name-safe form of the case name: ASCII letters and digits joined by dashes. */
function slug(name: string): string {
  const s = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
  return s || 'case';
}

/** yyyymmddThhmmssZ in UTC. */
function compactStamp(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}
