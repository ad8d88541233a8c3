// Test tooling (Node, `npm run sim`): starts the tenant simulator, writes its environment files and serves until SIGINT/SIGTERM.
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeEnvironmentFiles, type EnvironmentFiles } from './environment';
import { MAX_USERS, SCENARIO_NAMES, type ScenarioName } from './scenario';
import { SimulatorOptionsError, startSimulator, type SimHandle } from './server';
import type { ExchangeOptions } from './exchange/invoke';

export const USAGE = `Usage: npm run sim -- [options]

  --scenario <name>     contoso (default) or fabrikam
  --seed <integer>      seed of the generated tenant (default 1)
  --users <number>      users in the tenant, 16 to 100000 (default 200)
  --days <number>       days of sign-in and audit history, 1 to 180 (default 30)
  --attack-shape <mode> canonical or varied: the attack as ATTACK.md tells it, or its shape drawn from the seed
                        (default: canonical for seeds 1 to 12, varied otherwise)
  --events-per-user-per-day <number>
                        sign-ins per user per day in the generated logs, 0 to 100 (default 3)
  --port <number>       port on 127.0.0.1 (default 0: any free port)
  --dir <folder>        where environment.json, ca.pem and ground-truth.json go (default .sim)
  --auto-approve <upn>  approve every device code as this user, without the sign-in page (consenting as an admin would)
  --block-device-code   add a Conditional Access policy that blocks device code sign-in (AADSTS53003); the browser still works

  --busy-exchange       Exchange as on a busy day: the tenant redirected to a host of its own, odata.nextLink
                        pages, and a seeded third of audit-log windows slow (2 s), failing once, or stalling
  -h, --help            show this help`;

export class UsageError extends Error {}

export interface CliRun {
  sim: SimHandle;
  files: EnvironmentFiles;
  /** Stops the server; what SIGINT/SIGTERM call. */
  stop(): Promise<void>;
}

export interface CliIo {
  out(line: string): void;
}

function parseInteger(flag: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = /^-?\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const range = min === Number.MIN_SAFE_INTEGER ? 'an integer' : `an integer from ${min} to ${max}`;
    throw new UsageError(`--${flag} must be ${range}, got '${value}'.`);
  }
  return n;
}

/** Parses argv, starts the simulator and writes its files. Returns undefined after printing help. */
export async function main(argv: string[], io: CliIo = { out: (line) => console.log(line) }): Promise<CliRun | undefined> {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(argv).values;
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  if (values.help) {
    io.out(USAGE);
    return undefined;
  }
  const scenario = values.scenario ?? 'contoso';
  if (!SCENARIO_NAMES.includes(scenario as ScenarioName)) {
    throw new UsageError(`--scenario must be one of ${SCENARIO_NAMES.join(', ')}, got '${scenario}'.`);
  }
  const seed = parseInteger('seed', values.seed, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER) ?? 1;
  const port = parseInteger('port', values.port, 0, 65535) ?? 0;
  const users = parseInteger('users', values.users, 16, MAX_USERS);
  const days = parseInteger('days', values.days, 1, 180);
  const perUserText = values['events-per-user-per-day'];
  const eventsPerUserPerDay = perUserText === undefined ? undefined : Number(perUserText);
  if (eventsPerUserPerDay !== undefined && (perUserText?.trim() === '' || !(eventsPerUserPerDay >= 0 && eventsPerUserPerDay <= 100))) {
    throw new UsageError(`--events-per-user-per-day must be a number from 0 to 100, got '${perUserText}'.`);
  }
  const attackShape = values['attack-shape'];
  if (attackShape !== undefined && attackShape !== 'canonical' && attackShape !== 'varied') {
    throw new UsageError(`--attack-shape must be canonical or varied, got '${attackShape}'.`);
  }
  const dir = resolve(values.dir ?? '.sim');

  let sim: SimHandle;
  try {
    sim = await startSimulator({
      scenario: scenario as ScenarioName, seed, port, autoApprove: values['auto-approve'] ?? false, blockDeviceCode: values['block-device-code'] === true,
      ...(users !== undefined ? { users } : {}), ...(days !== undefined ? { days } : {}),
      ...(eventsPerUserPerDay !== undefined ? { eventsPerUserPerDay } : {}),
      ...(attackShape !== undefined ? { attackShape } : {}),
      ...(values['busy-exchange'] ? { exchange: busyExchange(seed) } : {}),
    });
  } catch (err) {
    if (err instanceof SimulatorOptionsError) throw new UsageError(err.message);
    throw err;
  }
  let files: EnvironmentFiles;
  try {
    files = await writeEnvironmentFiles(dir, sim);
  } catch (err) {
    await sim.close();
    throw err;
  }
  const truth = sim.groundTruth;
  io.out(`Peregrine tenant simulator: ${scenario} (seed ${seed}, ${truth.counts.users} users, ${days ?? 30} days), tenant ${truth.tenantDomain} ${truth.tenantId}`);
  io.out(`  authority         ${sim.environment.authorityHost}/${sim.tenantId}`);
  io.out(`  Graph             ${sim.environment.graphBaseUrl}/v1.0`);
  io.out(`  device login      ${sim.environment.simulator.deviceLoginUrl}`);
  io.out(`  environment file  ${files.environmentFile}`);
  io.out(`  ground truth      ${files.groundTruthFile}`);
  io.out(`  CA certificate    ${files.caCertFile}`);
  if (values['auto-approve']) io.out(`  device codes are approved automatically as ${values['auto-approve']}`);
  if (values['block-device-code']) io.out('  device code sign-in is blocked by Conditional Access: sign in with the browser');
  if (sim.exchange.tenantHostUrl) io.out(`  Exchange is busy: the tenant is redirected to ${sim.exchange.tenantHostUrl}; some audit-log searches are slow, fail once or stall`);
  let stopped: Promise<void> | undefined;
  return { sim, files, stop: () => (stopped ??= sim.close()) };
}

/** What `--busy-exchange` turns on (see ExchangeOptions in exchange/invoke.ts). */
export function busyExchange(seed: number): ExchangeOptions {
  return { tenantHost: true, bareNextLink: true, auditFaults: { seed, slowRate: 0.3, slowMs: 2000, transientRate: 0.3, stallRate: 0.3, stallSessions: 1 } };
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      scenario: { type: 'string' },
      seed: { type: 'string' },
      port: { type: 'string' },
      users: { type: 'string' },
      days: { type: 'string' },
      'attack-shape': { type: 'string' },
      'events-per-user-per-day': { type: 'string' },
      dir: { type: 'string' },
      'auto-approve': { type: 'string' },
      'block-device-code': { type: 'boolean' },
      'busy-exchange': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  main(process.argv.slice(2)).then((run) => {
    if (!run) return;
    console.log('Serving until Ctrl+C.');
    const shutdown = (signal: string) => {
      console.log(`${signal}: stopping the simulator.`);
      run.stop().then(() => process.exit(0), (err: unknown) => {
        console.error(err);
        process.exit(1);
      });
    };
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.once('SIGTERM', () => shutdown('SIGTERM'));
  }, (err: unknown) => {
    if (err instanceof UsageError) {
      console.error(`sim: ${err.message}\n\n${USAGE}`);
      process.exit(2);
    }
    console.error(err);
    process.exit(1);
  });
}
