// Test tooling (plain Node): a simulated tenant, its environment file and a case path in a temporary folder, and the
// CLI run in-process against them (each command's output kept); plus the scan for secrets a remediation must not leave.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { startSimulator, type SimHandle, type SimulatorOptions } from '../sim/server';
import { writeEnvironmentFiles } from '../sim/environment';
import { main as cli } from '../../main/cli';
import { capturedIo, type CapturedIo } from './cli-io';

export interface SimCli {
  sim: SimHandle;
  dir: string;
  envFile: string;
  /** Where the case goes (not created). */
  file: string;
  /** Every command's captured output, in order. */
  ios: CapturedIo[];
  run(...args: string[]): Promise<{ code: number; out: string; err: string }>;
  close(): Promise<void>;
}

export async function simCli(prefix: string, options: SimulatorOptions): Promise<SimCli> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const sim = await startSimulator({ users: 120, reportsThrottle: { limit: 1_000_000 }, ...options });
  const envFile = (await writeEnvironmentFiles(path.join(dir, 'sim'), sim)).environmentFile;
  const ios: CapturedIo[] = [];
  return {
    sim, dir, envFile, ios, file: path.join(dir, 'case.peregrine'),
    async run(...args) {
      const io = capturedIo();
      io.clock = () => new Date();
      ios.push(io);
      const code = await cli(args, io);
      return { code, out: io.stdout.join('\n'), err: io.stderr.join('\n') };
    },
    async close() {
      await sim.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

const JWT = /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/;

/**
 * No bearer token, client secret or private key in the files or in anything the CLI printed, and no temporary
 * password (printed once to the consultant) in the files.
 */
export function scanForSecrets(sim: SimHandle, files: string[], ios: CapturedIo[]): void {
  const output = ios.flatMap((io) => [...io.stdout, ...io.stderr]).join('\n');
  const passwords = [...output.matchAll(/Temporary password for \S+: (\S+)/g)].map((m) => m[1]!);
  const secrets = [
    sim.tenant.engagementApp.clientSecret,
    ...sim.tenant.applications.flatMap((a) => a.passwordCredentials.map((p) => p.secretText)),
    ...sim.tenant.deletedApplications.flatMap((a) => a.passwordCredentials.map((p) => p.secretText)),
  ].filter((s): s is string => typeof s === 'string' && s.length > 0);
  for (const s of secrets) expect(output.includes(s)).toBe(false);
  expect(output).not.toMatch(JWT);
  for (const f of files) {
    const bytes = fs.readFileSync(f);
    for (const s of [...secrets, ...passwords]) expect(bytes.includes(s), `${path.basename(f)} holds a secret`).toBe(false);
    expect(JWT.test(bytes.toString('latin1')), `${path.basename(f)} holds a token`).toBe(false);
    expect(bytes.includes('PRIVATE KEY')).toBe(false);
  }
}
