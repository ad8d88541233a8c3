// Test tooling (Node): the folder `peregrine script collect`'s script would write for a tenant, made from the
// simulator's own answers as a live collection of it stored them (its evidence pages), in the script's shapes: Graph
// pages as served, ConvertTo-Json of each cmdlet's rows (some as Windows PowerShell 5.1 writes them: UTF-16LE with a
// BOM, times as \/Date(ms)\/), one file per Search-UnifiedAuditLog call, and manifest.json. Its file list is walked
// from the script's own tables (main/collect/script.ts), so the two cannot drift apart.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Database } from 'better-sqlite3';
import { COLLECTION_FOLDER_FORMAT, SCRIPT_APP_ROLE_RESOURCES, SCRIPT_EXCHANGE_SOURCES, SCRIPT_GRAPH_SOURCES, SCRIPT_LOG_SOURCES } from '../../main/collect/script';

interface Page {
  method: string;
  url: string;
  requestBody: string | null;
  body: Buffer;
}

export interface ManifestFile {
  path: string;
  source: string;
  sha256: string;
  bytes: number;
  records: number;
  request: Record<string, unknown>;
}

export interface WrittenFolder {
  dir: string;
  manifest: { files: ManifestFile[]; incomplete: { source: string; reason: string }[]; [k: string]: unknown };
}

export interface FolderOptions {
  /** Sources whose files are written as Windows PowerShell 5.1 writes them (UTF-16LE with BOM, \/Date(ms)\/ times). */
  windowsPowerShell?: string[];
  incomplete?: { source: string; reason: string }[];
}

const pad = (n: number) => String(n).padStart(4, '0');
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** ConvertTo-Json's text in PowerShell 7 (two-space indents, as JSON.stringify) or 5.1 (times as \/Date(ms)\/). */
function convertToJson(rows: unknown[], windowsPowerShell: boolean): Buffer {
  const text = JSON.stringify(rows, (_k, v: unknown) => (windowsPowerShell && typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(v) ? `/Date(${Date.parse(v)})/` : v), 2);
  if (!windowsPowerShell) return Buffer.from(text, 'utf8');
  // 5.1 escapes the slashes of its dates; Out-File writes UTF-16LE with a BOM.
  return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text.replace(/"\/Date\((-?\d+)\)\/"/g, '"\\/Date($1)\\/"'), 'utf16le')]);
}

/** The folder for run `runId` of the case `db` (a live collection of the simulator), written under `dir`. */
export function writeCollectionFolder(db: Database, runId: string, dir: string, opts: FolderOptions = {}): WrittenFolder {
  fs.mkdirSync(dir, { recursive: true });
  const pagesOf = (source: string): Page[] =>
    (db.prepare('SELECT method, url, request_body AS requestBody, body_gz FROM evidence WHERE run_id = ? AND source = ? ORDER BY id').all(runId, source) as (Omit<Page, 'body'> & { body_gz: Buffer })[])
      .map(({ body_gz, ...p }) => ({ ...p, body: gunzipSync(body_gz) }));
  const files: ManifestFile[] = [];
  const save = (source: string, rel: string, bytes: Buffer, records: number, request: Record<string, unknown>) => {
    const file = path.join(dir, ...rel.split('/'));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, bytes);
    files.push({ path: rel, source, sha256: sha256(bytes), bytes: bytes.length, records, request });
  };
  const valueOf = (body: Buffer) => {
    const json = JSON.parse(body.toString('utf8')) as { value?: unknown[] };
    return Array.isArray(json.value) ? json.value : [json];
  };
  const pathAndQuery = (url: string) => {
    const u = new URL(url);
    return decodeURIComponent(u.pathname + u.search);
  };

  for (const s of SCRIPT_GRAPH_SOURCES) {
    const [live, part] = s.source.split('/');
    const pages = pagesOf(live!);
    if (pages.length === 0) throw new Error(`The live collection read nothing of ${live}, which the script reads.`);
    if (part) {
      // Read live in one $batch; the script reads each list by itself: the sub-response of the part's path.
      const batch = pages.find((p) => p.method === 'POST')!;
      const requests = (JSON.parse(batch.requestBody!) as { requests: { id: string; url: string }[] }).requests;
      const id = requests.find((r) => `/v1.0${r.url}` === s.path)?.id;
      if (id === undefined) throw new Error(`The live $batch of ${live} has no request for ${s.path}.`);
      const body = (JSON.parse(batch.body.toString('utf8')) as { responses: { id: string; body: unknown }[] }).responses.find((r) => r.id === id)!.body;
      const bytes = Buffer.from(JSON.stringify(body), 'utf8');
      save(s.source, `${s.source}/page-0001.json`, bytes, valueOf(bytes).length, { method: 'GET', uri: `https://graph.microsoft.com${s.path}` });
      continue;
    }
    const first = pathAndQuery(pages[0]!.url);
    const expected = s.paged ? `${s.path}${s.path.includes('?') ? '&' : '?'}$top=999` : s.path;
    if (first !== expected) throw new Error(`The script reads ${expected} for ${s.source}; the live collection read ${first}.`);
    pages.forEach((p, i) => save(s.source, `${s.source}/page-${pad(i + 1)}.json`, p.body, valueOf(p.body).length, { method: 'GET', uri: p.url }));
  }

  // App-role grants on the resource side, of the script's two resources.
  const grants = pagesOf('graph.appRoleAssignedTo');
  if (SCRIPT_APP_ROLE_RESOURCES.length !== 2 || grants.length === 0) throw new Error('The live collection read no app-role grants.');
  grants.forEach((p, i) => save('graph.appRoleAssignedTo', `graph.appRoleAssignedTo/page-${pad(i + 1)}.json`, p.body, valueOf(p.body).length, { method: 'GET', uri: p.url }));

  for (const s of SCRIPT_LOG_SOURCES) {
    const pages = pagesOf(s.source);
    const first = pathAndQuery(pages[0]!.url);
    if (!first.startsWith(`${s.path}?$filter=${s.timeProperty} ge `) || !(s.filter ? first.includes(` and ${s.filter}`) : true)) throw new Error(`The script reads ${s.path} for ${s.source}; the live collection read ${first}.`);
    pages.forEach((p, i) => save(s.source, `${s.source}/page-${pad(i + 1)}.json`, p.body, valueOf(p.body).length, { method: 'GET', uri: p.url }));
  }

  const cmdletOf = (p: Page) => JSON.parse(p.requestBody!) as { CmdletInput: { CmdletName: string; Parameters: Record<string, unknown> } };
  for (const s of SCRIPT_EXCHANGE_SOURCES) {
    const pages = pagesOf(s.source);
    if (pages.length === 0) throw new Error(`The live collection read nothing of ${s.source}.`);
    if (cmdletOf(pages[0]!).CmdletInput.CmdletName !== s.cmdlet) throw new Error(`The script runs ${s.cmdlet} for ${s.source}; the live collection ran ${cmdletOf(pages[0]!).CmdletInput.CmdletName}.`);
    const rows = pages.flatMap((p) => valueOf(p.body));
    save(s.source, `${s.source}.json`, convertToJson(rows, opts.windowsPowerShell?.includes(s.source) ?? false), rows.length, { cmdlet: `${s.cmdlet}${s.parameters ? ` ${s.parameters}` : ''}` });
  }

  // Inbox rules: one file per mailbox, in the order chosen.
  const scope = db.prepare(`SELECT scope FROM collection_source WHERE run_id = ? AND source = 'exo.inboxRules'`).pluck().get(runId) as string | undefined;
  const mailboxes = scope ? (JSON.parse(scope) as { mailboxes: string[] }).mailboxes : [];
  const rulePages = pagesOf('exo.inboxRules');
  mailboxes.forEach((mailbox, i) => {
    const rows = rulePages.filter((p) => cmdletOf(p).CmdletInput.Parameters.Mailbox === mailbox).flatMap((p) => valueOf(p.body));
    save('exo.inboxRules', `exo.inboxRules/mailbox-${pad(i + 1)}.json`, convertToJson(rows, opts.windowsPowerShell?.includes('exo.inboxRules') ?? false), rows.length, { cmdlet: 'Get-InboxRule', Mailbox: mailbox });
  });

  // The Unified Audit Log: one file per call that returned rows, with the call's parameters.
  let n = 0;
  for (const p of pagesOf('exo.unifiedAuditLog')) {
    const rows = valueOf(p.body);
    if (rows.length === 0) continue;
    const { StartDate, EndDate, SessionId, SessionCommand, ResultSize } = cmdletOf(p).CmdletInput.Parameters;
    save('exo.unifiedAuditLog', `exo.unifiedAuditLog/page-${pad(++n)}.json`, convertToJson(rows, opts.windowsPowerShell?.includes('exo.unifiedAuditLog') ?? false), rows.length, { cmdlet: 'Search-UnifiedAuditLog', StartDate, EndDate, SessionId, SessionCommand, ResultSize });
  }

  const run = db.prepare('SELECT tenant_id, account, started_at, finished_at FROM collection_run WHERE run_id = ?').get(runId) as { tenant_id: string; account: string; started_at: string; finished_at: string };
  const w = db.prepare(`SELECT window_from, window_to FROM collection_source WHERE run_id = ? AND source = 'graph.signIns'`).get(runId) as { window_from: string; window_to: string };
  const manifest = {
    format: COLLECTION_FOLDER_FORMAT,
    generatedBy: 'peregrine test script collect',
    tenant: run.account.split('@')[1] ?? null,
    tenantId: run.tenant_id,
    cloud: 'commercial',
    account: run.account,
    window: { from: w.window_from, to: w.window_to },
    inboxRuleMailboxes: mailboxes,
    exchange: true,
    startedAt: run.started_at,
    finishedAt: run.finished_at,
    files,
    incomplete: opts.incomplete ?? [],
  };
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  return { dir, manifest };
}

/** A folder's files as zip entries under `prefix` (Compress-Archive keeps the folder's name), manifest included. */
export function folderEntries(dir: string, prefix = ''): { name: string; data: Buffer }[] {
  return (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort()
    .map((rel) => ({ name: `${prefix}${rel}`, data: fs.readFileSync(path.join(dir, ...rel.split('/'))) }));
}

/**
 * A small folder of the script's shapes without a simulator: one Graph page of applications, an inbound connector as
 * ConvertTo-Json writes it, and a page of sign-ins (the import fixture), with its manifest.
 */
export function writeSmallCollectionFolder(dir: string, signInsPage: Buffer): WrittenFolder {
  fs.mkdirSync(dir, { recursive: true });
  const files: ManifestFile[] = [];
  const save = (source: string, rel: string, bytes: Buffer, records: number, request: Record<string, unknown>) => {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), bytes);
    files.push({ path: rel, source, sha256: sha256(bytes), bytes: bytes.length, records, request });
  };
  const apps = {
    '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#applications',
    value: [{ id: '5b0c2f4e-0000-4000-8000-000000000001', appId: '7d1e3a5c-0000-4000-8000-000000000002', displayName: 'Mail Sync', signInAudience: 'AzureADMultipleOrgs', createdDateTime: '2026-11-20T08:00:00Z', passwordCredentials: [], keyCredentials: [], requiredResourceAccess: [] }],
  };
  save('graph.applications', 'graph.applications/page-0001.json', Buffer.from(JSON.stringify(apps)), 1, { method: 'GET', uri: 'https://graph.microsoft.com/v1.0/applications?$top=999' });
  const connector = { Name: 'Partner relay', Identity: 'Partner relay', Guid: '0f6a4a57-0000-4000-8000-000000000003', Enabled: true, ConnectorType: 'Partner', SenderIPAddresses: ['203.0.113.7'], WhenChanged: '2026-11-21T09:00:00Z' };
  save('exo.inboundConnectors', 'exo.inboundConnectors.json', convertToJson([connector], true), 1, { cmdlet: 'Get-InboundConnector' });
  const signIns = JSON.parse(signInsPage.toString('utf8')) as { value: unknown[] };
  save('graph.signIns', 'graph.signIns/page-0001.json', signInsPage, signIns.value.length, { method: 'GET', uri: 'https://graph.microsoft.com/beta/auditLogs/signIns?$top=1000' });
  const manifest = {
    format: COLLECTION_FOLDER_FORMAT, generatedBy: 'peregrine test script collect', tenant: 'contoso.onmicrosoft.com', tenantId: '71386dbc-bc4e-428a-8d77-edc375ab1697', cloud: 'commercial',
    account: 'admin@contoso.onmicrosoft.com', window: { from: '2020-01-01T00:00:00.0000000Z', to: '2030-01-01T00:00:00.0000000Z' }, inboxRuleMailboxes: [], exchange: true,
    startedAt: '2026-12-07T10:00:01.0000000Z', finishedAt: '2026-12-07T10:09:42.0000000Z', files,
    incomplete: [{ source: 'exo.transportRules', reason: 'The term Get-TransportRule is not recognized (no Exchange role).' }],
  };
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  return { dir, manifest };
}
