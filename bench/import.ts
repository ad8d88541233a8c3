// Benchmark (Node, tsx): `peregrine import` of a generated Purview audit search CSV (AuditData JSON per row, as the
// portal writes it) — parsed, checked, hashed, stored with its events and indexes — against `sqlite3 .import` of the
// same file into a bare table, measured in the same run; then detection over the imported case. One JSON document.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { closeDatabase } from '../db/connection';
import { createCase, openCase } from '../main/case/case';
import { detect } from '../main/detect/engine';
import { planImport, runImport } from '../main/import/importer';
import { createPrng } from '../test/sim/prng';

const { values } = parseArgs({
  args: process.argv.slice(2),
  strict: true,
  options: {
    records: { type: 'string', default: '1000000' },
    quick: { type: 'boolean', default: false },
    dir: { type: 'string' },
    // Internal: run the import alone in this process and print its JSON (so its peak RSS is its own).
    child: { type: 'string' },
    case: { type: 'string' },
  },
});

if (values.child) {
  const started = performance.now();
  const plan = await planImport([values.child]);
  const { db } = openCase(values.case!, { keepJournalMode: true });
  try {
    const result = await runImport(db, plan, { actor: 'Bench', note: 'generated', clock: () => new Date() });
    const seconds = (performance.now() - started) / 1000;
    process.stdout.write(JSON.stringify({ seconds, records: result.records, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) }));
  } finally {
    closeDatabase(db);
  }
  process.exit(0);
}

const records = values.quick ? 100_000 : Number(values.records);
const dir = values.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-bench-import-'));
fs.mkdirSync(dir, { recursive: true });
const csv = path.join(dir, `purview-${records}.csv`);

const OPERATIONS: [string, string, string][] = [
  ['MailItemsAccessed', 'ExchangeItemAggregated', 'Exchange'],
  ['UserLoggedIn', 'AzureActiveDirectoryStsLogon', 'AzureActiveDirectory'],
  ['FileAccessed', 'SharePointFileOperation', 'SharePoint'],
  ['New-InboxRule', 'ExchangeAdmin', 'Exchange'],
  ['Add service principal.', 'AzureActiveDirectory', 'AzureActiveDirectory'],
];
const cell = (v: string) => `"${v.replace(/"/g, '""')}"`;

/** Writes the CSV once per record count (kept in --dir between runs): about 1.6 kB a row. */
async function generate(): Promise<void> {
  if (fs.existsSync(csv)) return;
  const out = fs.createWriteStream(`${csv}.part`);
  const prng = createPrng('bench-import');
  const rng = () => prng.next();
  const write = (s: string) => (out.write(s) ? Promise.resolve() : new Promise<void>((resolve) => out.once('drain', () => resolve())));
  await write(`\uFEFF${['RecordId', 'CreationDate', 'RecordType', 'Operation', 'UserId', 'AuditData', 'AssociatedAdminUnits', 'AssociatedAdminUnitsNames'].map(cell).join(',')}\r\n`);
  const start = Date.parse('2024-07-01T00:00:00Z');
  for (let i = 0; i < records; i++) {
    const [operation, type, workload] = OPERATIONS[Math.floor(rng() * OPERATIONS.length)]!;
    const id = `${(0x10000000 + i).toString(16)}-0b7d-4f37-9f41-${(i * 7919).toString(16).padStart(12, '0').slice(-12)}`;
    const at = new Date(start + Math.floor((i / records) * 90 * 86_400_000)).toISOString().slice(0, 19);
    const user = `user${Math.floor(rng() * 20_000)}@contoso.example`;
    const data = {
      CreationTime: at, Id: id, Operation: operation, OrganizationId: '7f3c2b1a-0d4e-4c5f-9a8b-1c2d3e4f5a6b', RecordType: type, ResultStatus: 'Succeeded', UserKey: '10032001A1B2C3D4', UserType: 0, Version: 1, Workload: workload,
      ClientIP: `203.0.${Math.floor(rng() * 256)}.${Math.floor(rng() * 256)}`, UserId: user, AppId: '00000002-0000-0ff1-ce00-000000000000', ClientAppId: '', ObjectId: '',
      ExtendedProperties: [{ Name: 'UserAgent', Value: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0' }, { Name: 'RequestType', Value: 'OAuth2:Token' }, { Name: 'ResultStatusDetail', Value: 'Success' }],
      OperationProperties: [{ Name: 'MailAccessType', Value: 'Bind' }, { Name: 'IsThrottled', Value: 'False' }],
      Folders: [{ FolderItems: [{ InternetMessageId: `<${id}@contoso.example>`, SizeInBytes: 45211 }], Id: 'LgAAAAAaFYJ3CqLXSo7pSQ2hHWeSAQAH2m7WfC41QLRxMPqNHchJAAAAAAEMAAAB', Path: '\\\\Inbox' }],
      DeviceProperties: [{ Name: 'OS', Value: 'Windows 10' }, { Name: 'BrowserType', Value: 'Edge' }, { Name: 'IsCompliantAndManaged', Value: 'False' }, { Name: 'SessionId', Value: `${id.slice(0, 8)}-5ee0-4a5e-8a1f-5b0f7c3c9d41` }],
    };
    await write(`${[id, `${at}.0000000Z`, type, operation, user, JSON.stringify(data), '', ''].map(cell).join(',')}\r\n`);
  }
  await new Promise<void>((resolve) => out.end(() => resolve()));
  fs.renameSync(`${csv}.part`, csv);
}

await generate();
const bytes = fs.statSync(csv).size;

// Baseline: sqlite3's own CSV import into a bare table (no parsing of AuditData, no hashing, no indexes).
const base = path.join(dir, 'baseline.db');
fs.rmSync(base, { force: true });
const t0 = performance.now();
const sqlite = spawnSync('sqlite3', [base, '.mode csv', `.import '${csv.replace(/'/g, "''")}' audit`], { encoding: 'utf8' });
const sqliteSeconds = (performance.now() - t0) / 1000;
if (sqlite.status !== 0) throw new Error(`sqlite3 .import failed: ${sqlite.stderr}`);
fs.rmSync(base, { force: true });

const file = path.join(dir, 'case.peregrine');
for (const s of ['', '-wal', '-shm', '-journal']) fs.rmSync(`${file}${s}`, { force: true });
closeDatabase(createCase(file, { name: 'Bench', examiner: 'Bench' }, { clock: () => new Date(), toolVersion: 'bench' }).db);
const child = spawnSync(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'import.ts'), '--child', csv, '--case', file], { encoding: 'utf8', maxBuffer: 1 << 20 });
if (child.status !== 0) throw new Error(`import failed: ${child.stderr}`);
const imported = JSON.parse(child.stdout) as { seconds: number; records: number; peakRssMb: number };

const { db } = openCase(file, { readonly: true });
const d0 = performance.now();
const report = detect(db);
const detectSeconds = (performance.now() - d0) / 1000;
closeDatabase(db);

process.stdout.write(`${JSON.stringify({
  bench: 'import',
  records, bytes, cores: os.availableParallelism(),
  sqliteImport: { seconds: round(sqliteSeconds) },
  peregrineImport: { seconds: round(imported.seconds), records: imported.records, recordsPerSecond: Math.round(imported.records / imported.seconds), peakRssMb: imported.peakRssMb },
  ratio: round(imported.seconds / sqliteSeconds),
  detect: { seconds: round(detectSeconds), findings: report.findings.length },
  caseBytes: fs.statSync(file).size,
}, null, 2)}\n`);

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
