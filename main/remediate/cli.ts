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
import { exchangeRoleText, remediationPreflight, remediationSignIn } from './sign-in';
import { closeTheLoop } from './standing';

export const REMEDIATE_HELP = `Usage: peregrine remediate <case> <command> [options]

The remediation checklist of the case's newest collection: one step per object the findings still standing name,
in phases contain → eradicate → recover → verify → harden. Findings triaged false positive are left out.

  plan [--json] [--break-glass <upn|id,...>]
        Make the checklist and record it in the case (each new or changed step is a custody entry), then list it:
        each step's id, what it changes and why, the exact requests, the permission and role it needs, its undo.
  run <step id> | --phase contain|eradicate|recover|harden  [--dry-run | --yes] [--confirm-separately]
        Sign in for remediation and run the step (or every step of the phase) item by item: a live read stored as
        evidence, compared with the collection the step was planned on (stops and says what changed), then the
        writes, then a second read: verified only when the tenant shows the change. Without --yes nothing is written
        (a dry run that says so). A re-run does only what is left.
        A step that only medium or lower findings call for (forwarding a person may have set up themselves) is never
        run with its phase: run it on its own, by its id, with --yes --confirm-separately once checked with its owner.
        --phase verify is the same as \`verify\`.
        Sign-in as for \`collect\`: --env <environment file> [--auto-approve-on-sim], or a real tenant with
        --tenant <domain|id> [--cloud commercial|gcc|gcchigh|dod|china]; [--sign-in browser|device-code];
        [--login-hint <upn>] (the account offered on the sign-in page: yours, not one the attacker took)
        [--client-id <id>] (the remediation client: default the environment's remediationClientId, or for
        --tenant the remediation client on Settings, else the collection client), or app-only
        with --app-id <id> --certificate <pem> --private-key <pem> (--app-only: the simulator environment's app).
        --break-glass <upn|id,...>: accounts never touched (the signed-in account and Peregrine's own apps never are).
        The preflight names the scopes, directory roles and Exchange roles (with the role groups holding them) each
        step needs that the sign-in lacks.
  verify [--json]  (sign-in options as for run)
        Verify the checklist: every object a step changed (or the client changed outside Peregrine) is read again live
        and compared with what the step expects, each result a custody entry; something put back or re-created shows
        as failed. Then the newest collection: the high and critical findings the checklist has not closed, and the
        re-collection step verified when a collection made after the last change shows none. Exit 1 if anything stands.
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
    case 'verify':
      return verifyCommand(file!, rest, io);
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
      throw new UsageError(sub ? `Unknown remediate command "${sub}" (plan, run, verify, status, script, import-results).` : 'remediate needs a command: plan, run, verify, status, script or import-results.');
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
      if (s.confirmSeparately) io.out('    held back from phase runs: only medium or lower findings call for it; check with its owner, then run it alone with --yes --confirm-separately');
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

/** The sign-in options `run` and `verify` share (as `collect` has them). */
const SIGN_IN_OPTIONS = {
  env: { type: 'string' },
  tenant: { type: 'string' },
  cloud: { type: 'string' },
  'auto-approve-on-sim': { type: 'boolean' },
  'sign-in': { type: 'string' },
  'login-hint': { type: 'string' },
  'client-id': { type: 'string' },
  'app-id': { type: 'string' },
  certificate: { type: 'string' },
  'private-key': { type: 'string' },
  'app-only': { type: 'boolean' },
  'break-glass': { type: 'string' },
} as const;

type SignInValues = Partial<Record<keyof typeof SIGN_IN_OPTIONS, string | boolean>>;

interface Remediation {
  /** The checklist as recorded after sign-in (the signed-in account left out). */
  steps: PlannedStep[];
  engine: ReturnType<typeof createEngine>;
  account: string;
}

/**
 * Signs in for remediation with the scopes `chosen` steps need, reports the preflight (scopes, directory roles and
 * Exchange roles each step lacks), and builds the guarded engine. Null (said why) when no step is chosen.
 */
async function remediationFor(file: string, db: Database, examiner: string, values: SignInValues, io: CliIo, chosen: (steps: PlannedStep[]) => PlannedStep[], none: string): Promise<Remediation | null> {
  const signInFlag = values['sign-in'] as string | undefined;
  if (signInFlag !== undefined && !SIGN_IN_METHODS.includes(signInFlag as SignInMethod)) throw new UsageError(`--sign-in takes ${SIGN_IN_METHODS.join(' or ')}, not "${signInFlag}".`);
  const env: TenantEnvironment = environmentFromFlags(values, { home: homeDir(), role: 'remediation', usage: (m) => new UsageError(m) });
  if (values['auto-approve-on-sim'] && env.cloud !== 'simulator') throw new UsageError('--auto-approve-on-sim only works with a simulator environment file.');
  const appOnly = typeof values['app-id'] === 'string'
    ? readAppOnlyCredentials(values['app-id'], required(values, 'certificate'), required(values, 'private-key'))
    : values['app-only'] ? simulatorAppOnlyCredentials(required(values, 'env')) : undefined;
  // Peregrine's own apps are never touched: the collection client, the remediation client, the engagement app.
  const ownApps = [env.clientId, env.remediationClientId, typeof values['client-id'] === 'string' ? values['client-id'] : undefined, appOnly?.clientId].filter((x): x is string => !!x);
  const breakGlass = list(values['break-glass']);
  // The plan before sign-in says which scopes to ask for; the signed-in account is excluded once known.
  const draft = recordedPlan(db, { at: io.clock().toISOString(), actor: examiner }, breakGlass, { accounts: [], appIds: ownApps }).steps;
  if (chosen(draft).length === 0) {
    io.out(none);
    return null;
  }

  const transport = io.transport ? io.transport(env) : createHttpTransport({ ca: env.caPem, userAgent: `Peregrine/${TOOL_VERSION}` });
  const openBrowser = values['auto-approve-on-sim'] && env.simulator ? simulatorBrowser(transport) : io.openBrowser !== undefined ? io.openBrowser : systemBrowser();
  const session = await remediationSignIn({
    env, transport, clock: io.clock, steps: chosen(draft), appOnly,
    clientId: typeof values['client-id'] === 'string' ? values['client-id'] : undefined,
    ...(typeof values['login-hint'] === 'string' ? { loginHint: values['login-hint'] } : {}),
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

  const { steps } = recordedPlan(db, { at: io.clock().toISOString(), actor: examiner }, breakGlass, { accounts: [account.username, ...(account.objectId ? [account.objectId] : [])], appIds: ownApps });
  const graphReads = createGraphReader({ baseUrl: env.graphBaseUrl, transport: readOnlyTransport(transport), getToken: session.graphToken, pacer: createPacer() });
  const roles = appOnly ? null : await directoryRolesOf(graphReads, account.objectId);
  for (const row of remediationPreflight(chosen(steps), account.scopes, roles)) {
    const lacks = [...row.missingScopes, ...row.missingRoles.map((r) => `the role ${r}`), ...row.missingExchangeRoles.map((r) => `the Exchange role ${exchangeRoleText(r)}`)];
    if (lacks.length) io.err(`Preflight: ${row.stepId} needs ${lacks.join(', ')}, which this sign-in does not hold; it will fail with 403 until it does.`);
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
    db, client, guard, account: account.username, actor: examiner, clock: io.clock, protectedIds, standingIds: new Set(standing.map((s) => s.toLowerCase())),
    onSecret: (s) => io.err(`Temporary password for ${s.target.name ?? s.target.id}: ${s.password}\n  (shown once, never stored: give it to the user over a separate channel; they must change it at next sign-in)`),
  });
  return { steps, engine, account: account.username };
}

async function runCommand(file: string, args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(
    args,
    { phase: { type: 'string' }, 'dry-run': { type: 'boolean' }, yes: { type: 'boolean' }, 'confirm-separately': { type: 'boolean' }, ...SIGN_IN_OPTIONS },
    parseFlagPhase(args) === undefined ? ['step id'] : [],
  );
  const stepId = positionals[0];
  const phase = values.phase as string | undefined;
  if (!stepId === !phase) throw new UsageError('run takes one step id or --phase <contain|eradicate|recover|verify|harden>.');
  if (phase !== undefined && !(PHASES as readonly string[]).includes(phase)) throw new UsageError(`--phase takes ${PHASES.join(', ')}, not "${phase}".`);
  if (values['dry-run'] && values.yes) throw new UsageError('--dry-run and --yes contradict each other.');
  if (values['confirm-separately'] && phase !== undefined) throw new UsageError('--confirm-separately confirms one step, named by its id: a phase run never runs the steps that need it.');
  // The verify phase writes nothing: it is the live re-read of every step done, and the new collection.
  if (phase === 'verify') return verifyCommand(file, args.filter((a, i) => a !== '--phase' && args[i - 1] !== '--phase' && !a.startsWith('--phase=') && a !== '--yes' && a !== '--dry-run'), io);
  const mode = values.yes ? 'write' : 'dry-run';

  const { db, summary } = openCase(file);
  try {
    const chosen = (steps: PlannedStep[]) => (stepId ? steps.filter((s) => s.id === stepId) : steps.filter((s) => s.phase === phase));
    const r = await remediationFor(file, db, summary.examiner, values, io, chosen,
      stepId ? `No step "${stepId}" in the checklist: \`peregrine remediate ${file} plan\` lists the ids.` : `No step in the ${phase} phase.`);
    if (!r) return stepId ? 1 : 0;
    const toRun = chosen(r.steps);
    if (mode === 'dry-run') io.out(`Dry run${values['dry-run'] ? '' : ' (no --yes)'}: each object is read and compared with the plan, and nothing is written.`);
    const plan = new Map(r.steps.map((s) => [s.id, s]));
    const results = stepId
      ? await r.engine.runSteps(toRun.map((s) => ({ ...s, confirmSeparately: s.confirmSeparately && !values['confirm-separately'] })), mode, plan)
      : await r.engine.runSteps(toRun, mode, plan);
    let failed = 0;
    let held = 0;
    for (const x of results) {
      const separate = x.blocked !== null && x.step.confirmSeparately === true;
      const state = separate ? 'held' : x.blocked ? 'blocked' : stepState(itemResults(db, x.step));
      io.out(`${state.padEnd(10)} ${x.step.title}  (${x.step.id})`);
      if (x.blocked) io.out(`           ${x.blocked.replace(/run (\S+) --yes --confirm-separately/, `peregrine remediate ${file} run $1 --yes --confirm-separately`)}`);
      for (const i of x.items) io.out(`           ${itemLine(i)}`);
      if (separate) held += 1;
      else if (x.blocked || x.items.some((i) => i.outcome === 'failed' || i.outcome === 'changed')) failed += 1;
    }
    if (held) io.out(`${held} ${held === 1 ? 'step' : 'steps'} held back for a separate confirmation (each above says how).`);
    return failed ? 1 : 0;
  } finally {
    closeDatabase(db);
  }
}

/**
 * "Verify the checklist": every item a run (or the client) changed is read again live and compared with what its step
 * expects, each result a custody entry; then the newest collection is checked for high and critical findings the
 * checklist has not closed. The re-collection step is verified when that collection is newer than every change and
 * nothing stands.
 */
async function verifyCommand(file: string, args: string[], io: CliIo): Promise<number> {
  const { values } = parse(args, { json: { type: 'boolean' }, ...SIGN_IN_OPTIONS }, []);
  const { db, summary } = openCase(file);
  try {
    const changed = (steps: PlannedStep[]) => steps.filter((s) => itemResults(db, s).some((i) => i.outcome === 'done' || i.outcome === 'verified' || i.outcome === 'already-absent' || i.outcome === 'done-outside'));
    const recorded = () => [...latestSteps(db).values()].map((s) => s.spec as unknown as PlannedStep).sort((a, b) => a.order - b.order);
    const r = await remediationFor(file, db, summary.examiner, values, io, () => changed(recorded()), 'Nothing to verify: no step of the checklist has changed the tenant yet.');
    if (!r) return 0;
    let regressed = 0;
    const rows: { id: string; title: string; state: string; items: ItemRun[] }[] = [];
    const all = new Map(recorded().map((s) => [s.id, s]));
    for (const step of changed(recorded())) {
      const items = await r.engine.verifyStep(step, all);
      const state = stepState(itemResults(db, step));
      rows.push({ id: step.id, title: step.title, state, items });
      if (items.some((i) => i.outcome === 'failed')) regressed += 1;
    }
    const closing = closeTheLoop(db, recorded(), { at: io.clock().toISOString(), actor: summary.examiner });
    if (values.json) {
      io.out(JSON.stringify({ steps: rows, recollectedAfterChanges: closing.recollection === 'after-changes', standing: closing.standing.map((s) => ({ key: s.finding.key, severity: s.finding.severity, title: s.finding.title, reason: s.reason })), recollection: closing.text }, null, 2));
    } else {
      for (const row of rows) {
        io.out(`${row.state.padEnd(10)} ${row.title}  (${row.id})`);
        for (const i of row.items) io.out(`           ${itemLine(i)}`);
      }
      io.out(closing.text);
      // Judged only on a collection made after the changes: an older one still shows what was removed.
      if (closing.recollection === 'after-changes') for (const s of closing.standing) io.out(`  stands: ${s.finding.severity} ${s.finding.title} — ${s.finding.subject.name ?? s.finding.subject.id} (${s.reason})`);
    }
    return regressed || closing.standing.length || closing.recollection !== 'after-changes' ? 1 : 0;
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

