// Test tooling (Node): the environment file, the contract that points Peregrine at a tenant (here the simulator), and writing it with its CA and ground truth.
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import type { GroundTruth, Tenant } from './scenario';
import { graphScopesFor } from '../../main/auth/scopes';

export const ENVIRONMENT_FILE = 'environment.json';
export const CA_CERT_FILE = 'ca.pem';
export const GROUND_TRUTH_FILE = 'ground-truth.json';
export const ENGAGEMENT_CERT_FILE = 'engagement-app.crt.pem';
export const ENGAGEMENT_KEY_FILE = 'engagement-app.key.pem';

export const environmentSchema = z.strictObject({
  format: z.literal('peregrine-environment/1'),
  name: z.string().min(1),
  cloud: z.literal('simulator'),
  tenantId: z.guid(),
  tenantDomain: z.string().min(1),
  authorityHost: z.url({ protocol: /^https$/ }),
  graphBaseUrl: z.url({ protocol: /^https$/ }),
  exchangeBaseUrl: z.url({ protocol: /^https$/ }),
  /** Relative to the environment file's folder. */
  caCertFile: z.string().min(1),
  clientId: z.guid(),
  graphScopes: z.array(z.string().min(1)).min(1),
  engagementApp: z.strictObject({
    clientId: z.guid(),
    clientSecret: z.string().min(1),
    /** PEM certificate registered in the app's keyCredentials; relative to the environment file's folder. Simulator only. */
    certificateFile: z.string().min(1),
    /** PKCS#8 PEM private key of that certificate (mode 600); relative to the environment file's folder. Simulator only. */
    privateKeyFile: z.string().min(1),
  }),
  simulator: z.strictObject({
    /** Relative to the environment file's folder. */
    groundTruthFile: z.string().min(1),
    deviceLoginUrl: z.url({ protocol: /^https$/ }),
    /** Public client with write scopes consented (remediation tests and demos); the default clientId is read-only. */
    remediationClientId: z.guid(),
    users: z.int().positive(),
    days: z.int().positive(),
    /** The simulated tenant's "now": its history ends here, so collection windows end here too. */
    referenceTime: z.iso.datetime(),
  }),
});

export type Environment = z.infer<typeof environmentSchema>;

export interface EnvironmentInput {
  scenario: string;
  seed: number;
  url: string;
  tenantId: string;
  tenantDomain: string;
  clientId: string;
  engagementApp: { clientId: string; clientSecret: string };
  remediationClientId: string;
  users: number;
  days: number;
  referenceTime: string;
}

export function buildEnvironment(input: EnvironmentInput): Environment {
  return {
    format: 'peregrine-environment/1',
    name: `Simulated tenant (${input.scenario}, seed ${input.seed})`,
    cloud: 'simulator',
    tenantId: input.tenantId,
    tenantDomain: input.tenantDomain,
    authorityHost: input.url,
    graphBaseUrl: input.url,
    exchangeBaseUrl: input.url,
    caCertFile: CA_CERT_FILE,
    clientId: input.clientId,
    // Named scopes, as Peregrine asks for them: the tenant consents to each on first sign-in.
    graphScopes: graphScopesFor('https://graph.microsoft.com'),
    engagementApp: { ...input.engagementApp, certificateFile: ENGAGEMENT_CERT_FILE, privateKeyFile: ENGAGEMENT_KEY_FILE },
    simulator: {
      groundTruthFile: GROUND_TRUTH_FILE, deviceLoginUrl: `${input.url}/devicelogin`,
      remediationClientId: input.remediationClientId, users: input.users, days: input.days, referenceTime: input.referenceTime,
    },
  };
}

export interface EnvironmentSource {
  environment: Environment;
  caPem: string;
  groundTruth: GroundTruth;
  /** The engagement app's certificate and key (SimHandle.tenant carries them). */
  tenant: Pick<Tenant, 'engagementApp'>;
}

export interface EnvironmentFiles {
  dir: string;
  environmentFile: string;
  caCertFile: string;
  groundTruthFile: string;
  engagementCertificateFile: string;
  engagementPrivateKeyFile: string;
}

/** Writes environment.json, ca.pem, ground-truth.json and the engagement app's certificate and key into dir (created if missing); returns absolute paths. */
export async function writeEnvironmentFiles(dir: string, source: EnvironmentSource): Promise<EnvironmentFiles> {
  const folder = resolve(dir);
  await mkdir(folder, { recursive: true });
  const files: EnvironmentFiles = {
    dir: folder,
    environmentFile: join(folder, ENVIRONMENT_FILE),
    caCertFile: join(folder, source.environment.caCertFile),
    groundTruthFile: join(folder, source.environment.simulator.groundTruthFile),
    engagementCertificateFile: join(folder, source.environment.engagementApp.certificateFile),
    engagementPrivateKeyFile: join(folder, source.environment.engagementApp.privateKeyFile),
  };
  // The environment file holds the engagement app's (simulator-only) secret: owner-readable only.
  await writeFile(files.environmentFile, `${JSON.stringify(source.environment, null, 2)}\n`, { mode: 0o600 });
  await chmod(files.environmentFile, 0o600);
  await writeFile(files.caCertFile, source.caPem, { mode: 0o644 });
  await writeFile(files.groundTruthFile, `${JSON.stringify(source.groundTruth, null, 2)}\n`, { mode: 0o644 });
  // A private key, even a simulator's: owner-only like the environment file (chmod too, since writeFile keeps an existing file's mode).
  const { certificatePem, privateKeyPem } = source.tenant.engagementApp.certificate;
  await writeFile(files.engagementCertificateFile, certificatePem, { mode: 0o600 });
  await chmod(files.engagementCertificateFile, 0o600);
  await writeFile(files.engagementPrivateKeyFile, privateKeyPem, { mode: 0o600 });
  await chmod(files.engagementPrivateKeyFile, 0o600);
  return files;
}
