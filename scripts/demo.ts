// `npm run demo`: the tenant simulator plus the workbench in a local browser, ready to walk through the whole flow.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startSimulator } from '../test/sim/server';
import { writeEnvironmentFiles } from '../test/sim/environment';
import { loadEnvironmentFile } from '../main/auth/environment';
import { startBrowserHost } from '../main/host/browser';
import { createWorkbench } from '../main/host/workbench';
import { TOOL_VERSION } from '../main/version';
import { tsxWorkerEntry } from '../main/jobs/tsx-entry';

const { values } = parseArgs({
  options: { scenario: { type: 'string', default: 'contoso' }, seed: { type: 'string', default: '1' }, dir: { type: 'string', default: '.sim' } },
});
const scenario = values.scenario === 'fabrikam' ? 'fabrikam' : 'contoso';
const seed = Number(values.seed);
if (!Number.isInteger(seed)) throw new Error('--seed must be an integer');

const sim = await startSimulator({ scenario, seed });
const simDir = path.resolve(values.dir);
await writeEnvironmentFiles(simDir, sim);
const envFile = path.join(simDir, 'environment.json');
// Demo cases and keys live in a throwaway home so a demo never mixes with real engagements.
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-demo-'));
const workbench = createWorkbench({
  host: 'browser',
  toolVersion: TOOL_VERSION,
  casesDir: path.join(home, 'cases'),
  homeDir: home,
  keyDir: path.join(home, 'keys'),
  // A throwaway demo key: its passphrase need not be secret.
  keyAccess: { passphrase: () => 'peregrine demo key' },
  environment: loadEnvironmentFile(envFile),
  collectionWorker: tsxWorkerEntry(),
});
const host = await startBrowserHost({ handlers: workbench.handlers, rendererDir: path.resolve('dist', 'renderer') });

console.log(`Simulated tenant "${scenario}" (seed ${seed}) at ${sim.url}
  environment file  ${envFile}
  device sign-in    ${sim.environment.simulator.deviceLoginUrl}
  cases and keys    ${home}

Open the workbench:
  ${host.url}

Press Ctrl+C to stop.`);

await new Promise<void>((resolve) => {
  process.once('SIGINT', resolve);
  process.once('SIGTERM', resolve);
});
await host.close();
await workbench.close();
await sim.close();
