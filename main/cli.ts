// CLI (`peregrine`): the same services as the app, for scripted engagements and for verifying a handover without the GUI.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { createCase, openCase } from './case/case';
import { verifyCaseFile, verifyExport, type VerifyReport } from './case/verify';
import { closeDatabase } from '../db/connection';
import { explainCaseError } from '../db/errors';
import { evidenceCount } from '../db/queries/evidence';
import { custodyHead, custodyCount } from '../db/queries/custody';
import { latestCompletedRun, latestResumableRun, listRuns } from '../db/queries/runs';
import type { Database } from 'better-sqlite3';
import { listSources } from '../db/queries/sources';
import { engagementAppsFor, loadEnvironmentFile, type CloudName, type TenantEnvironment } from './auth/environment';
import { environmentFromFlags } from './cli/tenant-flags';
import { createTenantSession, exchangeAudience, type DeviceCodePrompt, type SignedInAccount } from './auth/device-code';
import { SIGN_IN_METHODS, signIn, systemBrowser, type SignInMethod } from './auth/sign-in';
import { approveDeviceCodeOnSimulator, simulatorBrowser } from './auth/simulator-pages';
import { appOnlyAnchorMailbox, createAppOnlySession, readAppOnlyCredentials, simulatorAppOnlyCredentials } from './auth/app-only';
import { cacheFile, encryptedCachePlugin, passphraseCipher } from './auth/token-cache';
import type { ICachePlugin } from '@azure/msal-node';
import { createExchangeReaderFor, type ExchangeReader } from './exchange/reader';
import { createHttpTransport, type HttpTransport } from './http/https';
import { readOnlyTransport } from './http/read-only';
import { createGraphReader } from './graph/reader';
import { createPacer } from './graph/pacer';
import { collectTenant } from './collect/sources';
import { directoryRolesOf, preflight } from './collect/preflight';
import { detect } from './detect/engine';
import { iocCsv, iocStix } from './detect/iocs';
import { findingsExportFiles } from './detect/summary';
import { recordTriage } from '../db/queries/triage';
import { TRIAGE_STATES, type TriageState } from '../preload/contract';
import { defaultKeyDir, examinerKeyStatus, exportExaminerKey, importExaminerKey, loadOrCreateExaminerKey, PASSPHRASE_ENV, type ExaminerKey, type KeyAccess } from './sign/keys';
import { parseSignerPin, SignerPinError, type SignerPin } from './sign/pin';
import { describeAnchor } from './case/checkpoints';
import { sealCase } from './case/seal';
import { exportCase, ExportError } from './timeline/export';
import { scopeFilterWords } from './timeline/report';
import { isOutputLanguage, OUTPUT_LANGUAGES } from './i18n/texts';
import { findChromium, htmlToPdf, PDF_FILE, PdfError } from './timeline/pdf';
import { rebuildTimeline, refreshTimeline } from './timeline/model';
import { MAX_PAGE, timelineCount, timelineHistogram, timelinePage, TimelineQueryError, type TimelineCursor, type TimelineFilter } from './timeline/query';
import { startBrowserHost } from './host/browser';
import { createWorkbench } from './host/workbench';
import { TOOL_VERSION } from './version';
import { caseWriterEntry, collectionWorkerEntry, defaultRendererDir } from './jobs/worker-entries';
import type { CollectionStatus } from '../preload/contract';
import { assertAuthorityPage } from './auth/loopback';
import { commandHelp, didYouMean, wantsHelp } from './cli/usage';
import { progressLine } from './cli/progress';
import { plural } from './detect/text';
import { remediateCommand } from './remediate/cli';
import { scriptCommand } from './collect/script-cli';
import { remediationExportFiles } from './remediate/record';
import { IMPORT_HELP, importCommand } from './import/cli';

const HELP = `Peregrine ${TOOL_VERSION} — investigate and undo malicious OAuth apps in Microsoft 365 / Entra ID.

Usage: peregrine <command> [options]

Commands:
  case create <file> --name <n> --examiner <e> [--client <c>] [--reference <r>] [--time-zone <tz>]
                        Create a new case file.
  case info <file> [--json]
                        Case metadata, evidence and custody counts, collection runs.
  case seal <file> --out <file>
                        Sign the custody chain and write the case as one self-contained file (no -wal)
                        for hand-over, then verify that file.
  collect <case> --env <environment file> [--auto-approve-on-sim] [--exchange [--inbox-rules <upn,...>]] [--resume]
  collect <case> --tenant <domain|id> [--cloud commercial|gcc|gcchigh|dod|china] [--client-id <id>] [--exchange] [--resume]
                        Sign in and collect (read-only) into the case.
                        A real tenant: its domain or id and its cloud (default commercial); the client is
                        --client-id, else the collection client on Settings, else Microsoft Graph Command
                        Line Tools (14d82eec-204b-4c2f-b7e8-296a70dab67e).
                        --sign-in browser|device-code: the system browser (default on a desktop), or a
                        device code (default when no browser can be opened; the fallback if one fails to open).
                        The first sign-in asks to consent to the Graph permissions a collection reads with.
                        --app-id <id> --certificate <pem> --private-key <pem> signs in as the engagement's
                        own app instead (app-only; --app-only uses a simulator environment file's app).
                        --token-cache <file> keeps tokens between runs, encrypted with the passphrase in
                        PEREGRINE_TOKEN_CACHE_PASSPHRASE (otherwise tokens live in memory only).
                        --exchange also signs in to Exchange Online (a second code) and reads
                        connectors and transport rules.
                        --inbox-rules <upn,upn,...> (with --exchange) reads those mailboxes' inbox rules.
                        Sign-ins and directory audits are read for --days <n> (default 30) up to now,
                        or --since <date> [--until <date>]; --no-logs skips them.
                        --resume continues the last unfinished collection from its checkpoints.
                        --page-size <n> asks for smaller pages (default 999).
  import <case> <file|folder>... --note <text> [--format <f>] [--date-format <d>] [--dry-run] [--json]
                        Import log files a client exported (Purview audit search CSV, Search-UnifiedAuditLog,
                        Management Activity API, Entra sign-in and audit logs, Log Analytics exports): each
                        file kept whole as evidence, its format told from its content and shown first
                        (\`peregrine import --help\` for the formats).
  detect <case> [--json]
                        Run the detections over the newest collection: findings by severity, the
                        storyline, and for each the evidence ids (--json lists every object and event).
                        --iocs csv|stix [--out <file>] writes the indicators instead (findings triaged
                        false positive are left out unless --include-false-positives).
  timeline <case> [--from <time>] [--to <time>] [--source <s,...>] [--ip <a>] [--actor <upn>] [--operation <op>]
           [--finding <key>] [--search <words>] [--json] [--limit <n>]
                        Every event of the case in time order, a page at a time: sign-ins, audits,
                        Unified Audit Log records, Exchange cmdlets, object lifetimes, findings, custody
                        (\`peregrine timeline --help\` for every filter, paging and the histogram).
  triage <case> <finding key> <open|confirmed|false_positive|needs_info> [--note <text>]
                        Record a triage decision (and its custody entry).
  export <case> --out <dir> [--no-pdf] [--lang en|ja] [timeline filters]
                        Write the signed export (timeline, findings, report.html, manifest, signatures);
                        runs the deep verify first and prints the signing key's fingerprint. report.pdf
                        is printed from report.html by the installed Chromium (the output says when
                        there is none); --no-pdf leaves it out. The timeline's filters (--from, --to,
                        --source, --ip, --actor, --operation, --target, --result, --finding, --ioc,
                        --search, --supporting; see \`peregrine timeline --help\`) scope the exported
                        timeline to part of the case; the manifest, VERIFY.txt and the report say so.
                        --lang ja writes report.html and FINDINGS.md in Japanese (technical terms,
                        names and values as written).
  verify <export dir | case file> [--deep] [--signer <SHA256:… | public key file | allowed_signers>]
                        Recompute every hash, the custody chain, its signed checkpoints and the
                        signature, and print who signed; for a case file also its schema, foreign keys
                        and what custody records (--deep: derive every row again from its evidence).
                        Exit 1 naming the first broken file, row or chain link, or (with --signer) any
                        signature by another key.
  key show|export|import
                        The examiner's signing key: fingerprint, and moving a consultancy key between
                        machines (\`peregrine key --help\`).
  remediate <case> plan [--json] | run <step id | --phase p> [--dry-run | --yes] | status [--json]
                        The remediation checklist: plan it from the findings still standing, run a step or
                        a phase with a separate remediation sign-in (a dry run unless --yes), and show what
                        is verified (\`peregrine remediate --help\`).
  script collect --out <file.ps1> [--tenant <domain|id>] [--cloud <cloud>] [--days <n>] [--inbox-rules <upn,...>]
                        Write a read-only PowerShell 7 script (Microsoft Graph PowerShell and
                        ExchangeOnlineManagement) for a client's administrator: it reads what collect reads,
                        over the same windows, into a folder of Graph JSON pages and ConvertTo-Json output
                        with manifest.json (SHA-256 of every file, what was incomplete); it lists what it
                        will read and asks first. docs/collection-folder.md describes the folder.
  serve [--env <file> | --tenant <domain|id> [--cloud <cloud>] [--client-id <id>]] [--cases <dir>] [--port <n>]
                        Serve the workbench UI to a local browser on 127.0.0.1.

Options:
  -h, --help            Show this help.
  -v, --version         Show the version.

Environment: PEREGRINE_HOME (settings, default ~/.config/peregrine), keys under $PEREGRINE_HOME/keys.
  ${PASSPHRASE_ENV}: the examiner key's passphrase when no terminal can ask for it
  (export, case seal, key, and serve, which cannot ask).
`;

const KEY_HELP: Record<string, string> = {
  '': `Usage: peregrine key <show|export|import> [options]

The examiner's Ed25519 signing key, kept encrypted outside every case file (here under a passphrase, asked
on the terminal or read from ${PASSPHRASE_ENV}). Run \`peregrine key <command> --help\` for each.
  key show [--json]                      Fingerprint, identity, public key and how the key is stored.
  key export --out <file>                Write the private key, encrypted under the passphrase.
  key import <file> [--identity <name>] [--replace]
                                         Use a consultancy key (PKCS#8 PEM) as the examiner key.
`,
  show: `Usage: peregrine key show [--json]

Prints the examiner key's SHA256 fingerprint (as ssh-keygen -lf prints it), the identity kept with it, its
OpenSSH public key line (give it, or the fingerprint, to clients out of band) and how it is stored. Needs no
passphrase.
`,
  export: `Usage: peregrine key export --out <file>

Writes the private key to <file> (which must not exist) as an encrypted PKCS#8 PEM under the same passphrase
that unlocks it. Move it to another machine and \`peregrine key import\` it there; openssl opens it too.
`,
  import: `Usage: peregrine key import <file> [--identity <name>] [--replace]

Makes the Ed25519 key in <file> (PKCS#8 PEM; if encrypted, under the passphrase asked or in
${PASSPHRASE_ENV}) the examiner key, stored encrypted under that passphrase. An existing key is replaced
only with --replace; both fingerprints are printed. --identity names the key (default: the current one's).
`,
};

const TIMELINE_HELP = `Usage: peregrine timeline <case> [filters] [--limit <n>] [--after <cursor> | --before <cursor> | --last] [--json]
       peregrine timeline <case> [filters] --histogram hour|day [--split source|result] [--json]
       peregrine timeline <case> --rebuild

Prints the case's timeline — every sign-in, directory audit, Unified Audit Log record, Exchange cmdlet, object
lifetime (created, credential added, gone from or back in a later collection), finding (first seen) and custody
entry — oldest first, one page at a time, one tab-separated line per event: time (UTC), source, result,
operation as the source wrote it, actor, IP, target, findings it supports, evidence row. The timeline index
is brought up to date with the case first (it is built from the case; verify --deep checks it).

Filters (all given must hold; names and ids ignore case):
  --from <time>          from this time on (ISO 8601, e.g. 2024-09-20T05:00:00Z, or a date)
  --to <time>            before this time
  --source <s,...>       signin, directory_audit, ual, exchange, object, finding, custody
  --operation <op>       as the source wrote it, e.g. "Consent to application", New-InboxRule
  --actor <upn|id>       --ip <address>      --target <id|name>      --result <success|failure|…>
  --finding <key>        only events supporting this finding (keys: peregrine detect)
  --supporting           only events supporting some finding
  --ioc <value>          an indicator: matched against IP, actor, app id and target
  --search <words>       full text: every word must match (names, addresses, ids, operation words);
                         a word ending in * matches as a prefix

Paging: --limit <n> rows a page (default 100, at most 10000). The line after the rows (on stderr) gives
the cursor for the next and previous page: pass it as --after or --before. --last prints the last page.
--json prints {"total", "rows", "previous", "next"} instead (cursors as objects and as text).
--histogram hour|day counts the matching events per hour or day, split by --split source (default) or result.
--rebuild empties the timeline index and builds it again from the case (after verify names damage in it).
`;

const SEAL_HELP = `Usage: peregrine case seal <case file> --out <file>

Records 'case.sealed' in the custody log, signs the chain with the examiner key (a checkpoint), and writes
the whole case as ONE self-contained SQLite file with VACUUM INTO — no -wal or -shm beside it — for hand-over.
The new file is then verified (pinned to the examiner key) and removed if it does not verify.
`;

export class UsageError extends Error {}



export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  isTTY: boolean;
  clock: () => Date;
  /** Asks for a secret on the terminal without echo; absent when there is no terminal. */
  readSecret?: (prompt: string) => Promise<string>;
  /** Where the signing passphrase may come from when no terminal asks (defaults to process.env). */
  env?: NodeJS.ProcessEnv;
  /** Test seam: the HTTP transport for an environment (defaults to real HTTPS with the environment's CA). */
  transport?: (env: TenantEnvironment) => HttpTransport;
  /** Test seam: how a browser sign-in page is shown (defaults to the desktop's browser; null when there is none). */
  openBrowser?: ((url: string) => Promise<void>) | null;
}

const defaultIo = (): CliIo => ({
  out: (l) => process.stdout.write(l + '\n'),
  err: (l) => process.stderr.write(l + '\n'),
  isTTY: !!process.stdout.isTTY,
  clock: () => new Date(),
  readSecret: process.stdin.isTTY ? readHiddenLine : undefined,
});

/** Reads one line from the terminal with echo off (raw mode), prompting on stderr. Ctrl-C aborts. */
function readHiddenLine(prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(prompt);
    stdin.setRawMode(true);
    stdin.resume();
    let value = '';
    const done = (err: Error | null) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done(null);
        if (ch === '\u0003') return done(new Error('Cancelled.'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on('data', onData);
  });
}

/**
 * The passphrase for the examiner key: PEREGRINE_SIGNING_PASSPHRASE, else asked on the terminal (twice for a new key),
 * else a clear error. Never an argument: other users could read it in the process list.
 */
async function signingAccess(io: CliIo, keyDir: string, purpose: string): Promise<KeyAccess> {
  const env = io.env ?? process.env;
  const fromEnv = env[PASSPHRASE_ENV];
  const notice = (m: string) => io.err(m);
  if (fromEnv) return { passphrase: () => fromEnv, onNotice: notice };
  if (!io.readSecret) {
    throw new Error(`The examiner key is kept under a passphrase: run ${purpose} in a terminal to be asked for it, or set ${PASSPHRASE_ENV}.`);
  }
  const status = examinerKeyStatus(keyDir);
  const first = await io.readSecret(status.protection === 'passphrase' ? `Passphrase for the examiner key ${status.fingerprint ?? ''}: ` : 'New passphrase for the examiner key (at least 10 characters): ');
  if (status.protection !== 'passphrase') {
    const again = await io.readSecret('Repeat the passphrase: ');
    if (again !== first) throw new Error('The two passphrases differ; nothing was changed.');
  }
  return { passphrase: () => first, onNotice: notice };
}

/** Loads (or makes) the examiner key and says which key is about to sign, before anything is signed. */
async function examinerSigner(io: CliIo, identity: string, purpose: string): Promise<ExaminerKey> {
  const dir = defaultKeyDir();
  const signer = loadOrCreateExaminerKey(dir, identity, await signingAccess(io, dir, purpose));
  io.err(`Signing as ${signer.identity} with examiner key ${signer.fingerprint} (Ed25519).`);
  return signer;
}

export function homeDir(): string {
  return process.env.PEREGRINE_HOME ?? path.join(os.homedir(), '.config', 'peregrine');
}

export function parse(args: string[], options: ParseArgsConfig['options'], positionals: string[]) {
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, allowNegative: true, strict: true });
  } catch (err) {
    const message = (err as Error).message.replace(/\. To specify a positional argument.*$/, '');
    const unknown = /^Unknown option '(--?[^']+)'/.exec(message)?.[1];
    const names = Object.keys(options ?? {}).map((o) => `--${o}`);
    throw new UsageError(unknown ? `${message}.${suggestion(unknown, names, (o) => o)}` : message);
  }
  if (parsed.positionals.length !== positionals.length) {
    throw new UsageError(`Expected ${positionals.map((p) => `<${p}>`).join(' ')}${parsed.positionals.length > positionals.length ? `, got extra "${parsed.positionals[positionals.length]}"` : ''}.`);
  }
  return { values: parsed.values as Record<string, string | boolean | undefined>, positionals: parsed.positionals };
}

/** " Did you mean …?" when `typed` is a near miss of one of `candidates`, else nothing. */
function suggestion(typed: string, candidates: readonly string[], show: (c: string) => string): string {
  const near = didYouMean(typed, candidates);
  return near ? ` Did you mean \`${show(near)}\`?` : '';
}

export function required(values: Record<string, string | boolean | undefined>, name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v.trim() === '') throw new UsageError(`--${name} is required.`);
  return v;
}

const COMMANDS = ['case', 'collect', 'import', 'detect', 'triage', 'timeline', 'export', 'verify', 'key', 'serve', 'remediate', 'script'];
/** Commands that print their own help, per subcommand. */
const OWN_HELP = new Set(['key', 'remediate', 'timeline', 'import']);

export async function main(argv: string[], io: CliIo = defaultIo()): Promise<number> {
  const [command, ...rest] = argv;
  try {
    // `peregrine <command> --help`: that command's part of the overview (key has its own, per subcommand).
    if (command && !OWN_HELP.has(command) && COMMANDS.includes(command) && wantsHelp(rest)) {
      const sub = rest[0] && !rest[0].startsWith('-') ? rest[0] : undefined;
      io.out((sub === 'seal' && command === 'case' ? SEAL_HELP : null) ?? commandHelp(HELP, command, sub) ?? HELP);
      return 0;
    }
    switch (command) {
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        io.out(HELP);
        return command === undefined ? 2 : 0;
      case '-v':
      case '--version':
        io.out(TOOL_VERSION);
        return 0;
      case 'case':
        return await caseCommand(rest, io);
      case 'collect':
        return await collectCommand(rest, io);
      case 'detect':
        return detectCommand(rest, io);
      case 'triage':
        return triageCommand(rest, io);
      case 'timeline':
        return timelineCommand(rest, io);
      case 'export':
        return await exportCommand(rest, io);
      case 'verify':
        return verifyCommand(rest, io);
      case 'key':
        return await keyCommand(rest, io);
      case 'serve':
        return await serveCommand(rest, io);
      case 'remediate':
        return await remediateCommand(rest, io);
      case 'script':
        return await scriptCommand(rest, io);
      case 'import':
        if (wantsHelp(rest)) return io.out(IMPORT_HELP), 0;
        return await importCommand(rest, io);
      default:
        throw new UsageError(`Unknown command "${command}".${suggestion(command, COMMANDS, (c) => `peregrine ${c}`)}`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`peregrine: ${err.message}\nRun \`peregrine --help\` for usage.`);
      return 2;
    }
    io.err(`peregrine: ${(explainCaseError(err, caseArgument(argv)) as Error).message}`);
    return 1;
  }
}

/** The case file a command works on (its first plain argument), to name it in an error that does not. */
function caseArgument(argv: string[]): string | null {
  const [command, ...rest] = argv;
  const args = command === 'case' ? rest.slice(1) : rest;
  return ['case', 'collect', 'import', 'detect', 'triage', 'timeline', 'export', 'verify', 'remediate'].includes(command ?? '') ? (args.find((a) => !a.startsWith('-')) ?? null) : null;
}

async function caseCommand(args: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'create') {
    const { values, positionals } = parse(rest, { name: { type: 'string' }, examiner: { type: 'string' }, client: { type: 'string' }, reference: { type: 'string' }, 'time-zone': { type: 'string' } }, ['file']);
    const file = positionals[0]!;
    const { db, summary } = createCase(
      file,
      { name: required(values, 'name'), examiner: required(values, 'examiner'), client: values.client as string | undefined, reference: values.reference as string | undefined, timeZone: values['time-zone'] as string | undefined },
      { clock: io.clock, toolVersion: TOOL_VERSION },
    );
    closeDatabase(db);
    io.out(`Created case "${summary.name}" (${summary.caseId}) in ${file}.`);
    return 0;
  }
  if (sub === 'info') {
    const NOTICE_WORD = { warning: 'WARNING', error: 'ERROR', unavailable: 'NOT AVAILABLE' } as const;
    const { values, positionals } = parse(rest, { json: { type: 'boolean' } }, ['file']);
    const { db, summary } = openCase(positionals[0]!, { readonly: true });
    try {
      const runs = listRuns(db).map((r) => ({ ...r, sources: listSources(db, r.runId) }));
      const info = { ...summary, evidence: evidenceCount(db), custodyEntries: custodyCount(db), custodyHead: custodyHead(db), runs };
      if (values.json) io.out(JSON.stringify(info, null, 2));
      else {
        io.out(`${summary.name} (${summary.caseId})\n  examiner ${summary.examiner}${summary.client ? `, client ${summary.client}` : ''}, created ${summary.createdAt}`);
        io.out(`  evidence rows ${info.evidence}, custody entries ${info.custodyEntries}, chain head ${info.custodyHead ?? '-'}`);
        for (const r of info.runs) {
          io.out(`  run ${r.runId} ${r.state} ${r.startedAt} → ${r.finishedAt ?? '…'} ${r.environment} ${r.account ?? ''}${r.error ? `\n    ${r.error}` : ''}`);
          for (const s of r.sources) {
            const expected = s.expected === null ? '' : ` of ${s.expected} expected`;
            io.out(`    ${s.label.padEnd(22)} ${s.state.padEnd(9)} ${String(s.records).padStart(8)} records${expected} in ${s.pages} pages, ${s.retries} retries${s.truncated ? ', TRUNCATED' : ''}${s.lastError ? ` — ${s.lastError}` : ''}`);
            // What the service said beside the records: a warning can mean the results are partial.
            for (const n of s.notices) io.out(`      ${NOTICE_WORD[n.kind]}: ${n.text}`);
          }
        }
      }
    } finally {
      closeDatabase(db);
    }
    return 0;
  }
  if (sub === 'seal') {
    if (rest.includes('--help') || rest.includes('-h')) {
      io.out(SEAL_HELP);
      return 0;
    }
    const { values, positionals } = parse(rest, { out: { type: 'string' } }, ['file']);
    const out = path.resolve(required(values, 'out'));
    const { db, summary } = openCase(positionals[0]!);
    let result;
    try {
      const signer = await examinerSigner(io, summary.examiner, 'case seal');
      result = sealCase(db, out, { signer, clock: io.clock });
    } finally {
      closeDatabase(db);
    }
    if (!result.report.ok) {
      io.err(`FAILED: the sealed copy ${out} did not verify and was removed:`);
      for (const p of result.report.problems) io.err(`  ${p.where}: ${p.message}`);
      return 1;
    }
    io.out(`Sealed ${positionals[0]} into ${out}: one self-contained file (${result.bytes} bytes, sha256 ${result.sha256}), verified; ${result.report.anchor ? describeAnchor(result.report.anchor) : ''}.`);
    return 0;
  }
  throw new UsageError(sub ? `Unknown case command "${sub}" (create, info, seal).` : 'case needs a command: create, info or seal.');
}

async function collectCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(
    args,
    {
      env: { type: 'string' },
      tenant: { type: 'string' },
      cloud: { type: 'string' },
      'client-id': { type: 'string' },
      'auto-approve-on-sim': { type: 'boolean' },
      'sign-in': { type: 'string' },
      resume: { type: 'boolean' },
      'page-size': { type: 'string' },
      exchange: { type: 'boolean' },
      'app-id': { type: 'string' },
      certificate: { type: 'string' },
      'private-key': { type: 'string' },
      'app-only': { type: 'boolean' },
      'token-cache': { type: 'string' },
      'inbox-rules': { type: 'string' },
      logs: { type: 'boolean', default: true },
      days: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
    },
    ['case'],
  );
  const env: TenantEnvironment = environmentFromFlags(values, { home: homeDir(), role: 'collection', usage: (m) => new UsageError(m) });
  if (values['auto-approve-on-sim'] && env.cloud !== 'simulator') throw new UsageError('--auto-approve-on-sim only works with a simulator environment file.');
  const signInFlag = values['sign-in'] as string | undefined;
  if (signInFlag !== undefined && !SIGN_IN_METHODS.includes(signInFlag as SignInMethod)) throw new UsageError(`--sign-in takes ${SIGN_IN_METHODS.join(' or ')}, not "${signInFlag}".`);
  const pageSize = values['page-size'] === undefined ? 999 : Number(values['page-size']);
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 999) throw new UsageError('--page-size must be a whole number from 1 to 999.');

  const window = values.logs ? logWindow(values, io.clock(), env) : undefined;

  const { db, summary } = openCase(positionals[0]!);
  try {
    const resumable = values.resume ? latestResumableRun(db) : null;
    if (values.resume && !resumable) throw new UsageError('There is no unfinished collection in this case to resume.');
    const transport = io.transport ? io.transport(env) : createHttpTransport({ ca: env.caPem, userAgent: `Peregrine/${TOOL_VERSION}` });
    const onPrompt = (service: string) => (prompt: DeviceCodePrompt) => {
      if (!(values['auto-approve-on-sim'] && env.simulator)) {
        io.err(`${service}: ${prompt.message}`);
      } else {
        // Nobody is to type the code: say what happens instead of instructions no one follows.
        io.err(`${service}: approving device code ${prompt.userCode} on the simulator as its administrator.`);
        approveDeviceCodeOnSimulator(transport, env.simulator.deviceLoginUrl, prompt.userCode).catch((err: Error) => io.err(`Auto-approval failed: ${err.message}`));
      }
    };
    // On the simulator, auto-approval answers its sign-in pages over HTTP instead of opening a browser.
    const openBrowser = values['auto-approve-on-sim'] && env.simulator ? simulatorBrowser(transport) : io.openBrowser !== undefined ? io.openBrowser : systemBrowser();
    const method: SignInMethod = (signInFlag as SignInMethod | undefined) ?? (openBrowser ? 'browser' : 'device-code');
    const choice = (service: string) => ({
      method,
      openBrowser: openBrowser ? (url: string) => (assertAuthorityPage(url, env.authorityHost), io.err(`${service}: sign in in the browser; if none opened, open ${url}`), openBrowser(url)) : null,
      onPrompt: onPrompt(service),
      onFallback: (reason: string) => io.err(`${service}: ${reason}`),
    });
    type TokenFn = (o?: { forceRefresh?: boolean }) => Promise<string>;
    let account: SignedInAccount;
    let graphToken: TokenFn;
    let exchangeLogin: (() => Promise<{ token: TokenFn; anchorMailbox: string }>) | null = null;
    const appOnly = typeof values['app-id'] === 'string' || values['app-only'] === true;
    if (appOnly) {
      // The engagement's own app: no person signs in, and one certificate gets both Graph and Exchange tokens.
      const credentials =
        typeof values['app-id'] === 'string'
          ? readAppOnlyCredentials(values['app-id'], required(values, 'certificate'), required(values, 'private-key'))
          : simulatorAppOnlyCredentials(required(values, 'env'));
      const app = createAppOnlySession(env, transport, credentials, io.clock);
      account = await app.signIn();
      io.err(`Signed in app-only as ${account.username} (tenant ${account.tenantId}).`);
      graphToken = (o) => app.getAccessToken(env.graphScopes, o);
      if (values.exchange) {
        exchangeLogin = async () => ({
          token: (o) => app.getAccessToken(env.exchangeScopes, o),
          anchorMailbox: appOnlyAnchorMailbox(account.tenantId),
        });
      }
    } else {
      const cache = tokenCache(values, io);
      const session = createTenantSession(env, transport, io.clock, undefined, cache);
      const restored = cache ? await session.restore() : null;
      account = restored ?? (await signIn(session, choice('Microsoft Graph')));
      io.err(`Signed in to Microsoft Graph as ${account.username} (tenant ${account.tenantId})${restored ? ' from the encrypted token cache' : ''}.`);
      graphToken = (o) => session.getAccessToken(env.graphScopes, o);
      if (values.exchange) {
        exchangeLogin = async () => {
          // Exchange Online issues its own tokens to its own public client: a second sign-in, as the Exchange module asks.
          const exo = createTenantSession(env, transport, io.clock, exchangeAudience(env), cache);
          const exoAccount = (cache ? await exo.restore() : null) ?? (await signIn(exo, choice('Exchange Online')));
          io.err(`Signed in to Exchange Online as ${exoAccount.username}.`);
          return { token: (o) => exo.getAccessToken(env.exchangeScopes, o), anchorMailbox: `UPN:${exoAccount.username}` };
        };
      }
    }
    const graph = createGraphReader({
      baseUrl: env.graphBaseUrl,
      transport: readOnlyTransport(transport),
      getToken: graphToken,
      pacer: createPacer(),
      onRetry: (r) => io.err(`Throttled (HTTP ${r.status}); waiting ${Math.ceil(r.waitMs / 1000)} s as the service asked (attempt ${r.attempt}).`),
    });
    let exchange: ExchangeReader | undefined;
    if (exchangeLogin) {
      const login = await exchangeLogin();
      exchange = createExchangeReaderFor(env, {
        tenantId: account.tenantId,
        transport: readOnlyTransport(transport),
        getToken: login.token,
        anchorMailbox: login.anchorMailbox,
      });
    }
    const roles = await directoryRolesOf(graph, account.objectId);
    if (roles) io.err(`Directory roles of ${account.username}: ${roles.length ? roles.join(', ') : 'none'}.`);
    const plan = preflight({
      roles,
      grantedScopes: account.scopes,
      graphAccount: account.username,
      exchangeAccount: exchange ? account.username : null,
      logDays: window ? Math.round((Date.parse(window.to) - Date.parse(window.from)) / 86_400_000) : 0,
      exchange: !!exchange,
      previous: null,
    });
    for (const row of plan.rows.filter((r) => r.status === 'missing')) io.err(`Preflight: ${row.label} needs ${row.needs}. ${row.note ?? ''}`);
    if (resumable && resumable.tenantId !== account.tenantId) {
      throw new Error(`The unfinished collection was from tenant ${resumable.tenantId}, but this sign-in is for ${account.tenantId}; nothing was collected.`);
    }
    if (resumable) io.err(`Resuming collection ${resumable.runId} (started ${resumable.startedAt}) from its checkpoints.`);
    const status = await collectTenant(
      { db, readers: { cloud: env.cloud, graph, exchange }, clock: io.clock, pageSize, onProgress: progressReporter(io, db), writerEntry: caseWriterEntry() },
      {
        runId: resumable?.runId ?? crypto.randomUUID(),
        environment: env.name,
        tenantId: account.tenantId,
        account: account.username,
        actor: summary.examiner,
        resume: !!resumable,
        engagementApps: engagementAppsFor(env, account.username),
        window,
        inboxRuleMailboxes: typeof values['inbox-rules'] === 'string' ? values['inbox-rules'].split(',').map((m) => m.trim()).filter(Boolean) : undefined,
      },
    );
    if (io.isTTY) io.err('');
    for (const s of status.sources) io.err(`  ${s.label.padEnd(28)} ${s.state.padEnd(7)} ${plural(s.records, 'record').padStart(15)} in ${plural(s.pages, 'page')}${s.error ? ` — ${s.error}` : ''}`);
    io.err(status.state === 'done' ? `Collection ${status.runId} complete.` : `Collection ${status.runId} ${status.state}: ${status.error ?? ''}`);
    return status.state === 'done' ? 0 : 1;
  } finally {
    closeDatabase(db);
  }
}

/**
 * Sign-ins and audits are kept 30 days (Entra ID P1/P2; 7 on Free): the default window. A simulated tenant's
 * "now" is its scenario's reference time, which its environment file gives.
 */
function logWindow(values: Record<string, string | boolean | undefined>, now: Date, env: TenantEnvironment): { from: string; to: string } {
  const date = (flag: string): Date | undefined => {
    const v = values[flag];
    if (typeof v !== 'string') return undefined;
    const d = new Date(v);
    if (Number.isNaN(d.getTime())) throw new UsageError(`--${flag} must be a date or date-time (ISO 8601), e.g. 2026-11-01 or 2026-11-01T00:00:00Z.`);
    return d;
  };
  const until = date('until') ?? (env.simulator?.referenceTime ? new Date(env.simulator.referenceTime) : now);
  const days = values.days === undefined ? 30 : Number(values.days);
  if (!Number.isInteger(days) || days < 1 || days > 180) throw new UsageError('--days must be a whole number from 1 to 180.');
  const since = date('since') ?? new Date(until.getTime() - days * 86_400_000);
  if (since >= until) throw new UsageError('--since must be before --until.');
  return { from: since.toISOString(), to: until.toISOString() };
}

/**
 * Progress: one JSON line per update to a pipe; on a terminal one line redrawn in place, cut to its width. Time left
 * is estimated only from what the case's previous finished collection read of the same sources.
 */
function progressReporter(io: CliIo, db: Database): (s: CollectionStatus) => void {
  const started = performance.now();
  const previous = latestCompletedRun(db);
  const previousCounts = previous ? new Map(listSources(db, previous.runId).map((x) => [x.source, x.records])) : null;
  return (s) => {
    if (!io.isTTY) {
      io.out(JSON.stringify({ event: 'progress', runId: s.runId, state: s.state, sources: s.sources.map(({ source, state, pages, records }) => ({ source, state, pages, records })) }));
      return;
    }
    const expected = previousCounts && s.sources.every((x) => previousCounts.has(x.source)) ? s.sources.reduce((n, x) => n + previousCounts.get(x.source)!, 0) : null;
    const line = progressLine(s, { columns: process.stderr.columns || 80, elapsedMs: performance.now() - started, expectedRecords: expected });
    process.stderr.write(`\r${line}`);
  };
}

/**
 * Tokens persist between runs only with --token-cache and a passphrase from PEREGRINE_TOKEN_CACHE_PASSPHRASE
 * (an environment variable, not an argument other users could read in the process list); otherwise memory only.
 */
function tokenCache(values: Record<string, string | boolean | undefined>, io: CliIo): ICachePlugin | undefined {
  const file = values['token-cache'];
  if (typeof file !== 'string') return undefined;
  const passphrase = process.env.PEREGRINE_TOKEN_CACHE_PASSPHRASE;
  if (!passphrase) throw new UsageError('--token-cache needs a passphrase in PEREGRINE_TOKEN_CACHE_PASSPHRASE (the cache is never written unencrypted).');
  return encryptedCachePlugin(cacheFile(path.resolve(file)), passphraseCipher(passphrase), (reason) => io.err(`Token cache not used: ${reason}`));
}

/** Simulator only: submits the device-login form as the tenant's first listed admin would. */
function detectCommand(args: string[], io: CliIo): number {
  const { values, positionals } = parse(args, { json: { type: 'boolean' }, iocs: { type: 'string' }, out: { type: 'string' }, 'include-false-positives': { type: 'boolean' } }, ['case']);
  if (values.iocs !== undefined && values.iocs !== 'csv' && values.iocs !== 'stix') throw new UsageError(`--iocs takes csv or stix, not "${values.iocs}".`);
  // Detection only reads the case (triage is its own command).
  const { db, summary } = openCase(positionals[0]!, { readonly: true });
  try {
    const report = detect(db);
    if (values.iocs) {
      const options = { caseId: summary.caseId, caseName: summary.name, examiner: summary.examiner, now: io.clock(), toolVersion: TOOL_VERSION, includeFalsePositives: values['include-false-positives'] === true };
      const file = values.iocs === 'csv' ? iocCsv(report, options) : iocStix(report, options);
      const out = path.resolve(typeof values.out === 'string' ? values.out : file.fileName);
      fs.writeFileSync(out, file.content, { flag: 'wx' });
      io.out(`Wrote ${file.count} indicators to ${out}.`);
      return 0;
    }
    if (values.json) {
      io.out(JSON.stringify(detectionJson(report), null, 2));
      return 0;
    }
    if (report.runId === null) {
      io.out('No finished collection in this case: run `peregrine collect` first.');
      return 0;
    }
    io.out(`Rules: ${report.rules.length}, over collection ${report.runId} (evidence as of ${report.collectedAt}), in ${Math.round(report.elapsedMs)} ms.`);
    io.out(`Storyline: ${report.storyline.map((s) => `${s.lit ? '[x]' : '[ ]'} ${s.title}`).join('  ')}`);
    if (report.findings.length === 0) io.out('No findings.');
    for (const f of report.findings) {
      io.out(`\n${f.severity.toUpperCase().padEnd(8)} ${f.title}  [${f.ruleId}${f.attack.length ? `, ${f.attack.join(', ')}` : ''}]${f.triage.state !== 'open' ? `  (${f.triage.state.replace('_', ' ')})` : ''}`);
      io.out(`         ${f.reason}`);
      io.out(`         evidence: ${plural(f.objects.length, 'object')}, ${plural(f.events.length, 'event')}; undo: ${f.remediation.step}`);
      io.out(`         key: ${f.key}`);
    }
    return 0;
  } finally {
    closeDatabase(db);
  }
}

/** What `detect --json` prints: every finding with its rule, severity and the ids of the objects and events that prove it. */
function detectionJson(report: ReturnType<typeof detect>) {
  return {
    runId: report.runId,
    collectedAt: report.collectedAt,
    storyline: report.storyline,
    findings: report.findings.map((f) => ({
      key: f.key, ruleId: f.ruleId, title: f.title, severity: f.severity, confidence: f.confidence, attack: f.attack, stage: f.stage,
      subject: f.subject, reason: f.reason, remediation: f.remediation, firstAt: f.firstAt, lastAt: f.lastAt, triage: f.triage,
      objects: f.objects.map((o) => ({ kind: o.kind, id: o.id, name: o.name, runId: o.runId, evidenceId: o.evidenceId, evidenceSha256: o.evidenceSha256 })),
      events: f.events.map((e) => ({ id: e.id, source: e.source, recordId: e.recordId, at: e.at, operation: e.operation, evidenceId: e.evidenceId, evidenceSha256: e.evidenceSha256 })),
      iocs: f.iocs,
    })),
  };
}

function triageCommand(args: string[], io: CliIo): number {
  const { values, positionals } = parse(args, { note: { type: 'string' } }, ['case', 'finding key', 'state']);
  const state = positionals[2]!;
  if (!(TRIAGE_STATES as readonly string[]).includes(state)) throw new UsageError(`state must be one of ${TRIAGE_STATES.join(', ')}, not "${state}".`);
  const { db, summary } = openCase(positionals[0]!);
  try {
    const finding = detect(db).findings.find((f) => f.key === positionals[1]);
    if (!finding) throw new UsageError(`No finding "${positionals[1]}" in the newest collection; \`peregrine detect ${positionals[0]}\` lists the keys.`);
    const saved = recordTriage(db, {
      findingKey: finding.key, ruleId: finding.ruleId, state: state as TriageState, note: typeof values.note === 'string' ? values.note.trim() : '', at: io.clock().toISOString(), actor: summary.examiner,
      details: { title: finding.title, subject: finding.subject.name ?? finding.subject.id },
    });
    io.out(`${finding.key}: ${saved.state.replace('_', ' ')} (custody entry ${saved.custodySeq}).`);
    return 0;
  } finally {
    closeDatabase(db);
  }
}

/** A page cursor as the CLI prints it: the row's time and id. */
const cursorText = (c: TimelineCursor): string => `${c.at}/${c.id}`;

function parseCursor(option: string, text: string): TimelineCursor {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)\/(\d+)$/.exec(text);
  if (!m) throw new UsageError(`--${option} takes a cursor as printed after a page (time/id, e.g. 2024-09-20T05:25:32.000Z/812), not "${text}".`);
  return { at: m[1]!, id: Number(m[2]) };
}

/** The timeline's filters as options, shared by `timeline` and `export` (a scoped export). */
const TIMELINE_FILTER_OPTIONS = {
  from: { type: 'string' }, to: { type: 'string' }, source: { type: 'string' }, ip: { type: 'string' }, actor: { type: 'string' }, operation: { type: 'string' },
  target: { type: 'string' }, result: { type: 'string' }, finding: { type: 'string' }, ioc: { type: 'string' }, search: { type: 'string' }, supporting: { type: 'boolean' },
} as const;

function timelineFilterFrom(values: Record<string, string | boolean | (string | boolean)[] | undefined>): TimelineFilter {
  const str = (name: string) => (typeof values[name] === 'string' ? (values[name] as string) : undefined);
  return {
    from: str('from'), to: str('to'), sources: str('source')?.split(',').map((s) => s.trim()).filter(Boolean), ip: str('ip'), actor: str('actor'),
    operation: str('operation'), target: str('target'), result: str('result'), finding: str('finding'), ioc: str('ioc'), search: str('search'),
    supporting: values.supporting === true,
  };
}

function timelineCommand(args: string[], io: CliIo): number {
  if (args.includes('--help') || args.includes('-h')) {
    io.out(TIMELINE_HELP);
    return 0;
  }
  const text = { type: 'string' } as const;
  const { values, positionals } = parse(args, {
    ...TIMELINE_FILTER_OPTIONS, limit: text, after: text, before: text, last: { type: 'boolean' }, json: { type: 'boolean' },
    histogram: text, split: text, rebuild: { type: 'boolean' },
  }, ['case']);
  const str = (name: string) => (typeof values[name] === 'string' ? (values[name] as string) : undefined);
  const filter = timelineFilterFrom(values);
  const limitText = str('limit') ?? '100';
  const limit = /^\d+$/.test(limitText) ? Number(limitText) : NaN;
  if (!(limit >= 1 && limit <= MAX_PAGE)) throw new UsageError(`--limit takes a number of rows from 1 to ${MAX_PAGE}, not "${limitText}".`);
  const histogram = str('histogram');
  if (histogram !== undefined && histogram !== 'hour' && histogram !== 'day') throw new UsageError(`--histogram takes hour or day, not "${histogram}".`);
  const split = str('split') ?? 'source';
  if (split !== 'source' && split !== 'result') throw new UsageError(`--split takes source or result, not "${split}".`);
  const after = str('after') === undefined ? undefined : parseCursor('after', str('after')!);
  const before = str('before') === undefined ? undefined : parseCursor('before', str('before')!);
  if ([after, before, values.last === true ? true : undefined].filter((x) => x !== undefined).length > 1) throw new UsageError('Give one of --after, --before and --last.');

  // The index is part of the case file: bringing it up to date writes (never evidence or custody).
  const { db } = openCase(positionals[0]!);
  try {
    const refreshed = values.rebuild === true ? rebuildTimeline(db) : refreshTimeline(db);
    if (values.rebuild === true) {
      io.out(`Rebuilt the timeline index: ${refreshed.added} events.`);
      return 0;
    }
    try {
      if (histogram) {
        const buckets = timelineHistogram(db, filter, { bucket: histogram, split });
        if (values.json) io.out(JSON.stringify(buckets, null, 2));
        else for (const b of buckets) io.out(`${b.start}\t${b.total}\t${Object.entries(b.counts).map(([k, n]) => `${k}=${n}`).join(' ')}`);
        return 0;
      }
      const total = timelineCount(db, filter);
      const page = timelinePage(db, { filter, limit, after, before, last: values.last === true });
      if (values.json) {
        const cursor = (c: TimelineCursor | null) => (c ? { ...c, text: cursorText(c) } : null);
        io.out(JSON.stringify({ total, rows: page.rows, previous: cursor(page.previous), next: cursor(page.next) }, null, 2));
        return 0;
      }
      const cell = (v: string | number | null) => (v === null ? '-' : String(v).replace(/[\t\r\n]+/g, ' '));
      for (const r of page.rows) {
        const target = r.targetName ?? r.targetId;
        io.out([r.at, r.source, r.result, r.operation, r.actor ?? r.actorAppId, r.ip, target, r.findings.length ? r.findings.join(' ') : null, r.evidenceId === null ? null : `evidence ${r.evidenceId}`].map(cell).join('\t'));
      }
      const more = [page.previous ? `previous page: --before ${cursorText(page.previous)}` : null, page.next ? `next page: --after ${cursorText(page.next)}` : null].filter(Boolean);
      io.err(`${page.rows.length} of ${total} events${more.length ? `; ${more.join('; ')}` : ''}.`);
      return 0;
    } catch (err) {
      if (err instanceof TimelineQueryError) throw new UsageError(`--${err.message}`);
      throw err;
    }
  } finally {
    closeDatabase(db);
  }
}

async function exportCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, { out: { type: 'string' }, 'no-pdf': { type: 'boolean' }, lang: { type: 'string' }, ...TIMELINE_FILTER_OPTIONS }, ['case']);
  const outDir = path.resolve(required(values, 'out'));
  const scope = timelineFilterFrom(values);
  const lang = typeof values.lang === 'string' ? values.lang : 'en';
  if (!isOutputLanguage(lang)) throw new UsageError(`--lang takes ${OUTPUT_LANGUAGES.join(' or ')}, not "${lang}".`);
  const { db, summary } = openCase(positionals[0]!);
  try {
    const signer = await examinerSigner(io, summary.examiner, 'export');
    const report = detect(db);
    const extraFiles = [
      ...findingsExportFiles(report, { caseId: summary.caseId, caseName: summary.name, examiner: summary.examiner, now: io.clock(), toolVersion: TOOL_VERSION, lang }),
      ...remediationExportFiles(db),
    ];
    // report.pdf from report.html by the installed Chromium, unless asked not to; without one, the output says so.
    const chromium = values['no-pdf'] ? null : findChromium(io.env ?? process.env);
    let pdfNote = values['no-pdf'] ? 'report.pdf not made (--no-pdf).' : chromium ? '' : 'report.pdf not made: no Chromium found (looked for PEREGRINE_CHROMIUM, then chromium, chromium-browser, google-chrome on PATH); report.html is in the bundle.';
    const pdf = chromium
      ? (html: string) => {
          try {
            return htmlToPdf(chromium, html);
          } catch (err) {
            if (!(err instanceof PdfError)) throw err;
            pdfNote = `report.pdf not made: ${err.message}. report.html is in the bundle.`;
            return null;
          }
        }
      : undefined;
    let result;
    try {
      result = exportCase(db, outDir, { signer, clock: io.clock, toolVersion: TOOL_VERSION, findings: report.findings, detection: report, extraFiles, pdf, scope, lang });
    } catch (err) {
      if (err instanceof ExportError && err.code === 'invalid_input' && err.message.startsWith("The export's scope")) throw new UsageError(err.message.replace(/refused: (\w+): /, 'refused: --$1: '));
      throw err;
    }
    io.out(`Exported ${result.files.length} files to ${outDir}, signed by ${result.signerFingerprint}.`);
    if (result.scope) io.out(`Scoped: the timeline holds ${result.scope.events} of the case's ${result.scope.caseEvents} events (${result.scope.words}); findings, custody and the report cover the whole case.`);
    io.out(`The client's report: report.html${result.files.some((f) => f.name === PDF_FILE) ? ` and report.pdf (printed by ${path.basename(chromium ?? '')})` : ''}.`);
    if (pdfNote) io.err(pdfNote);
    io.out('A client verifies it, inside that folder, with:');
    for (const c of result.verifyCommands) io.out(`  ${c}`);
    return 0;
  } finally {
    closeDatabase(db);
  }
}

function verifyCommand(args: string[], io: CliIo): number {
  const { values, positionals } = parse(args, { deep: { type: 'boolean', default: false }, signer: { type: 'string' } }, ['export dir | case file']);
  const target = positionals[0]!;
  let pin: SignerPin | null = null;
  if (typeof values.signer === 'string') {
    try {
      pin = parseSignerPin(values.signer);
    } catch (err) {
      if (err instanceof SignerPinError) throw new UsageError(err.message);
      throw err;
    }
  }
  if (!fs.existsSync(target)) throw new Error(`${target} does not exist.`);
  const isExport = fs.statSync(target).isDirectory();
  if (isExport && values.deep === true) throw new UsageError('--deep applies to a case file: an export folder is checked whole every time.');
  const report: VerifyReport = isExport ? verifyExport(target, { signer: pin }) : verifyCaseFile(target, { deep: values.deep === true, signer: pin });
  if (report.ok) {
    const derived = report.deep ? `, ${report.checked.derivedRows ?? 0} derived rows derived again from their evidence` : '';
    const counts = report.kind === 'export' ? `${report.checked.files ?? 0} files and the signature` : `${report.checked.evidence} evidence rows and ${report.checked.custody} custody entries${derived}`;
    io.out(`OK: ${target} verified — ${counts} check out; custody chain head ${report.chainHead ?? '-'}.`);
    if (report.scope) io.out(`Scoped export: its timeline holds ${report.scope.events} of the case's ${report.scope.caseEvents} events (${scopeFilterWords(report.scope.filter)}); the findings, custody and report cover the whole case.`);
    if (report.signer) io.out(`Signed by ${report.signer.identity} with key ${report.signer.fingerprint}${pin ? ' (the pinned key).' : '. That proves who signed only if this is the examiner\'s key: compare it with the fingerprint the examiner gave you, or pin it with --signer.'}`);
    if (report.anchor) io.out(`${describeAnchor(report.anchor).replace(/^./, (c) => c.toUpperCase())}${pin && report.anchor.checkpoints > 0 ? ' (the pinned key)' : ''}.`);
    return 0;
  }
  io.err(`FAILED: ${target}`);
  for (const p of report.problems) io.err(`  ${p.where}: ${p.message}`);
  return 1;
}

async function keyCommand(args: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    io.out(KEY_HELP['']!);
    return sub === undefined ? 2 : 0;
  }
  if (!Object.hasOwn(KEY_HELP, sub) || sub === '') throw new UsageError(`Unknown key command "${sub}" (show, export, import).`);
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(KEY_HELP[sub]!);
    return 0;
  }
  const dir = defaultKeyDir();
  const status = examinerKeyStatus(dir);
  if (sub === 'show') {
    const { values } = parse(rest, { json: { type: 'boolean' } }, []);
    if (values.json) {
      io.out(JSON.stringify(status, null, 2));
      return 0;
    }
    if (!status.protection) {
      io.out(`No examiner key yet in ${dir}: the first export (or \`peregrine key import\`) makes one.`);
      return 0;
    }
    const how = { passphrase: 'encrypted under a passphrase', keychain: 'sealed by the OS keychain (the Peregrine app)', unencrypted: 'UNENCRYPTED (it is encrypted the next time it is used)' }[status.protection];
    io.out(`Examiner key ${status.fingerprint ?? '(fingerprint appears after first use)'} (Ed25519)`);
    io.out(`  identity  ${status.identity ?? '-'}`);
    io.out(`  public    ${status.publicKeyLine ?? '-'}`);
    io.out(`  stored    ${dir}, ${how}`);
    return 0;
  }
  if (sub === 'export') {
    const { values } = parse(rest, { out: { type: 'string' } }, []);
    const out = path.resolve(required(values, 'out'));
    if (!status.protection) throw new Error(`There is no examiner key in ${dir} to export.`);
    const access = await signingAccess(io, dir, 'key export');
    const key = exportExaminerKey(dir, status.identity ?? 'examiner', access, out, access.passphrase!());
    io.out(`Wrote examiner key ${key.fingerprint} to ${out}, encrypted under its passphrase. Keep it as you keep the passphrase: whoever holds both can sign as you.`);
    return 0;
  }
  const { values, positionals } = parse(rest, { identity: { type: 'string' }, replace: { type: 'boolean' } }, ['file']);
  const identity = typeof values.identity === 'string' ? values.identity : (status.identity ?? os.userInfo().username);
  const env = io.env ?? process.env;
  let passphrase = env[PASSPHRASE_ENV];
  if (!passphrase && io.readSecret) passphrase = await io.readSecret(`Passphrase of ${path.basename(positionals[0]!)} (it will also protect the key here): `);
  if (!passphrase) throw new Error(`Importing a key needs a passphrase to keep it under: run in a terminal to be asked, or set ${PASSPHRASE_ENV}.`);
  const given = passphrase;
  const key = importExaminerKey(dir, identity, positionals[0]!, given, { passphrase: () => given }, { replace: values.replace === true });
  io.out(`${status.protection ? `Replaced examiner key ${status.fingerprint ?? ''} with` : 'Imported'} examiner key ${key.fingerprint} for ${key.identity}, encrypted under the passphrase in ${dir}.`);
  return 0;
}

async function serveCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parse(args, { env: { type: 'string' }, tenant: { type: 'string' }, cloud: { type: 'string' }, 'client-id': { type: 'string' }, cases: { type: 'string' }, port: { type: 'string' }, renderer: { type: 'string' } }, []);
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port must be a port number.');
  // The tenant to start with (the Collect screen can name another): checked here as collect checks it.
  if (typeof values.tenant === 'string') environmentFromFlags({ ...values, env: undefined }, { home: homeDir(), role: 'collection', usage: (m) => new UsageError(m) });
  else if (values.cloud !== undefined || values['client-id'] !== undefined) throw new UsageError('--cloud and --client-id go with --tenant.');
  if (typeof values.tenant === 'string' && typeof values.env === 'string') throw new UsageError('Give --env <environment file> or --tenant <domain|id>, not both.');
  const home = homeDir();
  const signingPassphrase = (io.env ?? process.env)[PASSPHRASE_ENV];
  const workbench = createWorkbench({
    host: 'browser',
    toolVersion: TOOL_VERSION,
    casesDir: path.resolve((values.cases as string | undefined) ?? path.join(home, 'cases')),
    homeDir: home,
    keyDir: defaultKeyDir(),
    // The browser host cannot ask on a terminal mid-request: the passphrase comes from the environment, else the
    // export confirmation asks for it.
    keyAccess: { ...(signingPassphrase ? { passphrase: () => signingPassphrase } : {}), onNotice: (m) => io.err(m) },
    environment: typeof values.env === 'string' ? loadEnvironmentFile(values.env) : null,
    tenantChoice: typeof values.tenant === 'string' ? { tenant: values.tenant, cloud: ((values.cloud as string | undefined) ?? 'commercial') as CloudName, clientId: (values['client-id'] as string | undefined) ?? null } : null,
    clock: io.clock,
    collectionWorker: collectionWorkerEntry(),
  });
  const rendererDir = path.resolve((values.renderer as string | undefined) ?? defaultRendererDir());
  const host = await startBrowserHost({ handlers: workbench.handlers, rendererDir, port });
  io.out(`Peregrine is serving on ${host.origin} (loopback only). Open:\n  ${host.url}\nPress Ctrl+C to stop.`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await host.close();
  await workbench.close();
  return 0;
}
