// CLI (`peregrine remediate`): the checklist from the command line — plan it, run a step or a phase (a dry run unless
// --yes), and show where each step stands. Writes happen only here, through the engine and its guard.
import type { Database } from 'better-sqlite3';
import { openCase } from '../case/case';
import { closeDatabase } from '../../db/connection';
import { latestSteps, recordAction, recordPlannedSteps } from '../../db/queries/remediation';
import { IMPORT_RESULTS_HELP, SCRIPT_HELP, importResultsSubcommand, scriptSubcommand, type RecordedPlan } from './cli-script';
import { getOrganization } from '../../db/queries/directory';
import { latestCompletedRun } from '../../db/queries/runs';
import { recordedEngagement } from '../../db/queries/engagement';
import type { TenantEnvironment } from '../auth/environment';
import { environmentFromFlags } from '../cli/tenant-flags';
import { SIGN_IN_METHODS, systemBrowser, type SignInMethod } from '../auth/sign-in';
import { approveDeviceCodeOnSimulator, simulatorBrowser } from '../auth/simulator-pages';
import { assertAuthorityPage } from '../auth/loopback';
import { readAppOnlyCredentials, simulatorAppOnlyCredentials } from '../auth/app-only';
import { createHttpTransport } from '../http/https';
import { readOnlyTransport } from '../http/read-only';
import { createGraphReader } from '../graph/reader';
import { createPacer } from '../graph/pacer';
import { directoryRolesOf } from '../collect/preflight';
import { detect, engagementAppIds } from '../detect/engine';
import { TOOL_VERSION } from '../version';
import { homeDir, parse, required, UsageError, type CliIo } from '../cli';
import { protectedIdsOf } from './protected';
import { PHASES, stepState, type Phase, type PlannedStep } from './model';
import { planRemediation } from './plan';
import { createWriteGuard } from './guard';
import { createTenantClient } from './tenant';
import { createEngine, itemResults, refLookup, type ItemRun } from './engine';
import { remediationPreflight, remediationSignIn } from './sign-in';

export const REMEDIATE_HELP = `Usage: peregrine remediate <case> <command> [options]

The remediation checklist of the case's newest collection: one step per object the findings still standing name,
in phases contain → eradicate → recover → verify → harden. Findings triaged false positive are left out.

  plan [--json] [--break-glass <upn|id,...>]
        Make the checklist and record it in the case (each new or changed step is a custody entry), then list it:
        each step's id, what it changes and why, the exact requests, the permission and role it needs, its undo.
  run <step id> | --phase contain|eradicate|recover|harden  [--dry-run | --yes]
        Sign in for remediation and run the step (or every step of the phase) item by item: a live read stored as
        evidence, compared with the collection the step was planned on (stops and says what changed), then the
        writes, then a second read: verified only when the tenant shows the change. Without --yes nothing is written
        (a dry run that says so). A re-run does only what is left.
        Sign-in as for \`collect\`: --env <environment file> [--auto-approve-on-sim], or a real tenant with
        --tenant <domain|id> [--cloud commercial|gcc|gcchigh|dod|china]; [--sign-in browser|device-code];
        [--client-id <id>] (the remediation client: default the environment's remediationClientId, or for
        --tenant the remediation client on Settings, else the collection client), or app-only
        with --app-id <id> --certificate <pem> --private-key <pem> (--app-only: the simulator environment's app).
        --break-glass <upn|id,...>: accounts never touched (the signed-in account and Peregrine's own apps never are).
  status [--json]
        Each recorded step's state (planned, done, verified, failed, skipped, done outside Peregrine) and its items.
  script --out <file.ps1>
        For a client who makes the changes: one PowerShell 7 script of the pending steps, the same requests one for
        one, with -WhatIf and the same checks, writing a result file (\`peregrine remediate <case> script --help\`).
  import-results <results.json>
        Reads that result file back: each step done outside Peregrine (never verified until a collection proves it),
        failed or skipped, as the script recorded it.

Every action is a custody entry (who, which account, when, the sha256 of the object before and after), and every
read, request and answer is stored as evidence with secrets replaced by [redacted].
`;

const list = (v: string | boolean | undefined): string[] => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : []);

export async function remediateCommand(args: string[], io: CliIo): Promise<number> {
  if (args.length === 0 || args[0] === '--help' || args[0] === '-h') {
    io.out(REMEDIATE_HELP);
    return args.length === 0 ? 2 : 0;
  }
  const [file, sub, ...rest] = args;
  if (rest.includes('--help') || rest.includes('-h') || sub === '--help' || sub === '-h') {
    io.out(sub === 'script' ? SCRIPT_HELP : sub === 'import-results' ? IMPORT_RESULTS_HELP : REMEDIATE_HELP);
    return 0;
  }
  switch (sub) {
    case 'plan':
      return planCommand(file!, rest, io);
    case 'run':
      return runCommand(file!, rest, io);
    case 'status':
      return statusCommand(file!, rest, io);
    case 'script':
      return withRecordedPlan(file!, false, (db, plan) => scriptSubcommand(rest, io, plan));
    case 'import-results':
      return withRecordedPlan(file!, true, (db, plan, who) =>
        importResultsSubcommand(rest, io, plan, (results) =>
          db.transaction(() => {
            for (const r of results) {
              recordAction(db, { stepId: r.stepId, itemKey: r.itemKey, outcome: r.outcome, note: `${r.note}${r.note ? ' ' : ''}(${r.source})`, account: r.account, beforeSha256: null, afterSha256: null, evidence: [], at: r.at, actor: who.actor });
            }
          })(),
        ),
      );
    default:
      throw new UsageError(sub ? `Unknown remediate command "${sub}" (plan, run, status, script, import-results).` : 'remediate needs a command: plan, run, status, script or import-results.');
  }
}

/** The plan of the newest collection, recorded (new or changed steps only): the steps as the case holds them. */
function recordedPlan(db: Database, who: { at: string; actor: string }, breakGlass: string[], protect: { accounts: string[]; appIds: string[] }): { steps: PlannedStep[]; recorded: number } {
  const report = detect(db);
  // What the engagement recorded in the case (Settings) is never touched either: its break-glass accounts and own apps.
  const facts = recordedEngagement(db);
  const exclude = { accounts: [...breakGlass, ...facts.breakGlass, ...protect.accounts], appIds: [...protect.appIds, ...engagementAppIds(db)] };
  const steps = planRemediation({ db, report, exclude });
  const recorded = recordPlannedSteps(db, steps, who).length;
  return { steps, recorded };
}

function describeRequest(r: PlannedStep['items'][number]['writes'][number]): string {
  return r.api === 'graph' ? `${r.method} ${r.path}${r.body ? ` ${JSON.stringify(r.body)}` : ''}` : `${r.cmdlet} ${JSON.stringify(r.parameters)}`;
}

function planCommand(file: string, args: string[], io: CliIo): number {
  const { values } = parse(args, { json: { type: 'boolean' }, 'break-glass': { type: 'string' } }, []);
  const { db, summary } = openCase(file);
  try {
    const { steps, recorded } = recordedPlan(db, { at: io.clock().toISOString(), actor: summary.examiner }, list(values['break-glass']), { accounts: [], appIds: [] });
    if (values.json) {
      io.out(JSON.stringify({ steps: steps.map((s) => ({ ...s, state: stepState(itemResults(db, s)) })) }, null, 2));
      return 0;
    }
    if (steps.length === 0) {
      io.out('No remediation steps: no finding still standing names an object to change (or the case has no collection yet).');
      return 0;
    }
    io.out(`${steps.length} steps (${recorded} newly recorded in the case's custody log).`);
    let phase: Phase | null = null;
    for (const s of steps) {
      if (s.phase !== phase) io.out(`\n== ${(phase = s.phase)} ==`);
      io.out(`\n${String(s.order).padStart(2)}. ${s.title}   [${stepState(itemResults(db, s))}]`);
      io.out(`    id: ${s.id}`);
      io.out(`    why: ${s.why}`);
      io.out(`    needs: ${[...s.needs.graphScopes, ...s.needs.exchangeRoles].join(', ')}${s.needs.directoryRoles.length ? `; role ${s.needs.directoryRoles.join(' or ')}` : ''}; risk ${s.risk}${s.destructive ? ', destructive (run needs --yes)' : ''}`);
      for (const item of s.items) {
        io.out(`    - ${item.target.kind} ${item.target.name ?? item.target.id} (${item.target.id})`);
        for (const w of item.writes) io.out(`        ${describeRequest(w)}`);
        for (const line of item.powershell) io.out(`        PS> ${line}`);
      }
      const undo = s.items[0]?.undo;
      io.out(`    undo: ${undo ? `${undo.text}${undo.powershell.length ? ` (${undo.powershell[0]}${s.items.length > 1 ? ', per item' : ''})` : ''}` : 'none: what is removed cannot be put back'}`);
    }
    return 0;
  } finally {
    closeDatabase(db);
  }
}

/** The plan as the case records it (plan or run first), with each step's state and the values later steps name. */
function withRecordedPlan(file: string, write: boolean, fn: (db: Database, plan: RecordedPlan, who: { actor: string }) => number): number {
  const { db, summary } = openCase(file, write ? {} : { readonly: true });
  try {
    const steps = [...latestSteps(db).values()].map((s) => s.spec as unknown as PlannedStep).sort((a, b) => a.order - b.order);
    if (steps.length === 0) throw new UsageError('No remediation plan is recorded in this case yet: run `peregrine remediate <case> plan` first.');
    const run = latestCompletedRun(db);
    const refs: Record<string, string> = {};
    for (const s of steps) {
      for (const item of s.items) {
        for (const m of JSON.stringify([item.read, item.writes]).matchAll(/\{\{ref:([^}]+)\}\}/g)) {
          const value = refLookup(db, m[1]!);
          if (value !== null) refs[m[1]!] = value;
        }
      }
    }
    // The tenant's initial (onmicrosoft.com) domain, which Connect-ExchangeOnline -Organization takes; else its default.
    const domains = run ? (getOrganization(db, run.runId)?.verifiedDomains ?? []) : [];
    const domain = (domains.find((d) => d.isInitial) ?? domains.find((d) => d.isDefault) ?? domains[0])?.name ?? null;
    const plan: RecordedPlan = {
      steps,
      statuses: steps.map((s) => ({ id: s.id, state: stepState(itemResults(db, s)), items: itemResults(db, s) })),
      refs,
      tenant: { id: run?.tenantId ?? '', domain: domain ?? run?.tenantId ?? '' },
      caseName: summary.name,
    };
    return fn(db, plan, { actor: summary.examiner });
  } finally {
    closeDatabase(db);
  }
}

function statusCommand(file: string, args: string[], io: CliIo): number {
  const { values } = parse(args, { json: { type: 'boolean' } }, []);
  const { db } = openCase(file, { readonly: true });
  try {
    const steps = [...latestSteps(db).values()].map((s) => s.spec as unknown as PlannedStep).sort((a, b) => a.order - b.order);
    const rows = steps.map((s) => ({ id: s.id, phase: s.phase, title: s.title, state: stepState(itemResults(db, s)), items: itemResults(db, s) }));
    if (values.json) {
      io.out(JSON.stringify({ steps: rows }, null, 2));
      return 0;
    }
    if (rows.length === 0) {
      io.out('No remediation plan recorded yet: run `peregrine remediate <case> plan`.');
      return 0;
    }
    const verified = rows.filter((r) => r.state === 'verified').length;
    io.out(`${verified} of ${rows.length} steps verified.`);
    for (const r of rows) {
      io.out(`${r.state.padEnd(12)} ${r.phase.padEnd(9)} ${r.title}  (${r.id})`);
      if (r.items.length > 1 || r.state === 'failed') {
        for (const i of r.items) io.out(`             ${(i.outcome ?? 'planned').padEnd(14)} ${i.key}${i.note ? ` — ${i.note}` : ''}`);
      }
    }
    return 0;
  } finally {
    closeDatabase(db);
  }
}

async function runCommand(file: string, args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(
    args,
    {
      phase: { type: 'string' },
      'dry-run': { type: 'boolean' },
      yes: { type: 'boolean' },
      env: { type: 'string' },
      tenant: { type: 'string' },
      cloud: { type: 'string' },
      'auto-approve-on-sim': { type: 'boolean' },
      'sign-in': { type: 'string' },
      'client-id': { type: 'string' },
      'app-id': { type: 'string' },
      certificate: { type: 'string' },
      'private-key': { type: 'string' },
      'app-only': { type: 'boolean' },
      'break-glass': { type: 'string' },
    },
    parseFlagPhase(args) === undefined ? ['step id'] : [],
  );
  const stepId = positionals[0];
  const phase = values.phase as string | undefined;
  if (!stepId === !phase) throw new UsageError('run takes one step id or --phase <contain|eradicate|recover|harden>.');
  if (phase !== undefined && !(PHASES as readonly string[]).includes(phase)) throw new UsageError(`--phase takes ${PHASES.join(', ')}, not "${phase}".`);
  if (values['dry-run'] && values.yes) throw new UsageError('--dry-run and --yes contradict each other.');
  const signInFlag = values['sign-in'] as string | undefined;
  if (signInFlag !== undefined && !SIGN_IN_METHODS.includes(signInFlag as SignInMethod)) throw new UsageError(`--sign-in takes ${SIGN_IN_METHODS.join(' or ')}, not "${signInFlag}".`);
  const env: TenantEnvironment = environmentFromFlags(values, { home: homeDir(), role: 'remediation', usage: (m) => new UsageError(m) });
  if (values['auto-approve-on-sim'] && env.cloud !== 'simulator') throw new UsageError('--auto-approve-on-sim only works with a simulator environment file.');
  const mode = values.yes ? 'write' : 'dry-run';

  const { db, summary } = openCase(file);
  try {
    const appOnly = typeof values['app-id'] === 'string'
      ? readAppOnlyCredentials(values['app-id'], required(values, 'certificate'), required(values, 'private-key'))
      : values['app-only'] ? simulatorAppOnlyCredentials(required(values, 'env')) : undefined;
    // Peregrine's own apps are never touched: the collection client, the remediation client, the engagement app.
    const ownApps = [env.clientId, env.remediationClientId, typeof values['client-id'] === 'string' ? values['client-id'] : undefined, appOnly?.clientId].filter((x): x is string => !!x);
    const breakGlass = list(values['break-glass']);
    // The plan before sign-in says which scopes to ask for; the signed-in account is excluded once known.
    const draft = recordedPlan(db, { at: io.clock().toISOString(), actor: summary.examiner }, breakGlass, { accounts: [], appIds: ownApps }).steps;
    const chosen = (steps: PlannedStep[]) => (stepId ? steps.filter((s) => s.id === stepId) : steps.filter((s) => s.phase === phase));
    if (chosen(draft).length === 0) {
      io.out(stepId ? `No step "${stepId}" in the checklist: \`peregrine remediate ${file} plan\` lists the ids.` : `No step in the ${phase} phase.`);
      return stepId ? 1 : 0;
    }

    const transport = io.transport ? io.transport(env) : createHttpTransport({ ca: env.caPem, userAgent: `Peregrine/${TOOL_VERSION}` });
    const openBrowser = values['auto-approve-on-sim'] && env.simulator ? simulatorBrowser(transport) : io.openBrowser !== undefined ? io.openBrowser : systemBrowser();
    const session = await remediationSignIn({
      env, transport, clock: io.clock, steps: chosen(draft), appOnly,
      clientId: typeof values['client-id'] === 'string' ? values['client-id'] : undefined,
      method: (signInFlag as SignInMethod | undefined) ?? (openBrowser ? 'browser' : 'device-code'),
      openBrowser: openBrowser ? (url) => (assertAuthorityPage(url, env.authorityHost), io.err(`Remediation: sign in in the browser; if none opened, open ${url}`), openBrowser(url)) : null,
      onPrompt: (service) => (prompt) => {
        io.err(`${service}: ${prompt.message}`);
        if (values['auto-approve-on-sim'] && env.simulator) {
          approveDeviceCodeOnSimulator(transport, env.simulator.deviceLoginUrl, prompt.userCode).catch((err: Error) => io.err(`Auto-approval failed: ${err.message}`));
        }
      },
      onFallback: (service, reason) => io.err(`${service}: ${reason}`),
    });
    const account = session.account;
    io.err(`Signed in for remediation as ${account.username} (tenant ${account.tenantId}).`);

    const { steps } = recordedPlan(db, { at: io.clock().toISOString(), actor: summary.examiner }, breakGlass, { accounts: [account.username, ...(account.objectId ? [account.objectId] : [])], appIds: ownApps });
    const toRun = chosen(steps);
    const graphReads = createGraphReader({ baseUrl: env.graphBaseUrl, transport: readOnlyTransport(transport), getToken: session.graphToken, pacer: createPacer() });
    const roles = appOnly ? null : await directoryRolesOf(graphReads, account.objectId);
    for (const row of remediationPreflight(toRun, account.scopes, roles)) {
      if (row.missingScopes.length || row.missingRoles.length) {
        io.err(`Preflight: ${row.stepId} needs ${[...row.missingScopes, ...row.missingRoles.map((r) => `the role ${r}`)].join(', ')}, which this sign-in does not hold; it will fail with 403 until it does.`);
      }
    }

    const guard = createWriteGuard(transport, [new URL(env.graphBaseUrl).hostname, ...env.exchangeHosts.filter((h) => !h.startsWith('*.'))]);
    const client = createTenantClient({
      transport: guard.transport, graphBaseUrl: env.graphBaseUrl, graphToken: session.graphToken,
      exchange: session.exchange ? { ...session.exchange, invokeUrl: new URL(`/adminapi/beta/${encodeURIComponent(account.tenantId)}/InvokeCommand`, env.exchangeBaseUrl).toString() } : undefined,
      onRetry: (r) => io.err(`Throttled (HTTP ${r.status}); waiting ${Math.ceil(r.waitMs / 1000)} s as the service asked.`),
    });
    const report = detect(db);
    const standing = report.findings.filter((f) => f.triage.state !== 'false_positive').flatMap((f) => [f.subject.id, ...f.objects.map((o) => o.id)]);
    const protectedIds = protectedIdsOf(db, [account.username, account.objectId, ...breakGlass], ownApps);
    const engine = createEngine({
      db, client, guard, account: account.username, actor: summary.examiner, clock: io.clock, protectedIds, standingIds: new Set(standing.map((s) => s.toLowerCase())),
      onSecret: (s) => io.err(`Temporary password for ${s.target.name ?? s.target.id}: ${s.password}\n  (shown once, never stored: give it to the user over a separate channel; they must change it at next sign-in)`),
    });
    if (mode === 'dry-run') io.out(`Dry run${values['dry-run'] ? '' : ' (no --yes)'}: each object is read and compared with the plan, and nothing is written.`);
    const results = await engine.runSteps(toRun, mode, new Map(steps.map((s) => [s.id, s])));
    let failed = 0;
    for (const r of results) {
      const state = r.blocked ? 'blocked' : stepState(itemResults(db, r.step));
      io.out(`${state.padEnd(10)} ${r.step.title}  (${r.step.id})`);
      if (r.blocked) io.out(`           ${r.blocked}`);
      for (const i of r.items) io.out(`           ${itemLine(i)}`);
      if (r.blocked || r.items.some((i) => i.outcome === 'failed' || i.outcome === 'changed')) failed += 1;
    }
    return failed ? 1 : 0;
  } finally {
    closeDatabase(db);
  }
}

function itemLine(i: ItemRun): string {
  return `${i.outcome.padEnd(14)} ${i.target.kind} ${i.target.name ?? i.target.id}${i.unchanged ? ' (earlier)' : ''} — ${i.note}`;
}

/** `--phase x` given (and so no step id positional). */
function parseFlagPhase(args: string[]): string | undefined {
  const i = args.indexOf('--phase');
  return i >= 0 ? args[i + 1] : args.find((a) => a.startsWith('--phase='))?.slice('--phase='.length);
}

