// Main process / CLI: app-only sign-in with the client's engagement app and its certificate (client credentials, private_key_jwt); the key stays in memory and never reaches a log or the case file.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ConfidentialClientApplication, LogLevel } from '@azure/msal-node';
import { z } from 'zod';
import type { HttpTransport } from '../http/https';
import type { SignedInAccount, TenantSession } from './device-code';
import type { TenantEnvironment } from './environment';
import { msalNetworkClient } from './msal-network';
import { defaultScopes } from './scopes';

export interface AppOnlyCredentials {
  /** The engagement app's application (client) id. */
  clientId: string;
  /** PEM certificate whose public key is registered on the app (Certificates & secrets). */
  certificatePem: string;
  /** PEM private key of that certificate (PKCS#8 or PKCS#1, unencrypted). */
  privateKeyPem: string;
}

/**
 * The parts of a device-code session that collection uses, so callers take either: there is no
 * person to prompt, so `signIn()` replaces `signInWithDeviceCode`, and one session serves Graph
 * and Exchange (the same app holds roles on both), unlike delegated sign-in.
 */
export type AppOnlySession = Pick<TenantSession, 'environment' | 'getAccessToken' | 'account' | 'signOut'> & {
  /** Gets a Graph token to prove the certificate works; the account is `app:<clientId>`, its scopes the app roles granted. */
  signIn(): Promise<SignedInAccount>;
  /** What the certificate says about itself (never the key), for the consultant to check against the app registration. */
  certificate: CertificateSummary;
};

/** What a certificate says about itself, for preflight and error messages (never the key). */
export interface CertificateSummary {
  subject: string;
  thumbprintSha1: string;
  thumbprintSha256: string;
  notBefore: Date;
  notAfter: Date;
}

const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Reads the certificate and key files; errors name the file and what is wrong with it, never its content. */
export function readAppOnlyCredentials(clientId: string, certificateFile: string, privateKeyFile: string): AppOnlyCredentials {
  const read = (file: string, what: string): string => {
    try {
      return fs.readFileSync(file, 'utf8');
    } catch (err) {
      throw new Error(`Cannot read the ${what} file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}.`, { cause: err });
    }
  };
  return { clientId, certificatePem: read(certificateFile, 'certificate'), privateKeyPem: read(privateKeyFile, 'private key') };
}

const SimulatorEngagementApp = z.object({
  engagementApp: z.object({ clientId: z.string().regex(guid), certificateFile: z.string().min(1), privateKeyFile: z.string().min(1) }),
});

/** The simulator's environment file names its engagement app and that app's certificate and key files (relative to the file). */
export function simulatorAppOnlyCredentials(environmentFile: string): AppOnlyCredentials {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(environmentFile, 'utf8'));
  } catch (err) {
    throw new Error(`Cannot read the environment file ${environmentFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}.`, { cause: err });
  }
  const parsed = SimulatorEngagementApp.safeParse(json);
  if (!parsed.success) {
    throw new Error(`The environment file ${environmentFile} has no engagement app with a certificate (engagementApp.clientId, certificateFile, privateKeyFile); only the simulator's files carry one.`);
  }
  const dir = path.dirname(path.resolve(environmentFile));
  const app = parsed.data.engagementApp;
  return readAppOnlyCredentials(app.clientId, path.resolve(dir, app.certificateFile), path.resolve(dir, app.privateKeyFile));
}

interface CheckedCredentials {
  summary: CertificateSummary;
  privateKeyPem: string;
}

/** Everything that can be said about the certificate and key before talking to the tenant. */
export function checkAppOnlyCredentials(credentials: AppOnlyCredentials, now: Date): CheckedCredentials {
  if (!guid.test(credentials.clientId)) throw new Error(`"${credentials.clientId}" is not an application (client) id: give the app registration's GUID.`);
  let cert: crypto.X509Certificate;
  try {
    cert = new crypto.X509Certificate(credentials.certificatePem);
  } catch {
    throw new Error('The certificate file is not a PEM or DER X.509 certificate (expected -----BEGIN CERTIFICATE-----).');
  }
  let key: crypto.KeyObject;
  try {
    key = crypto.createPrivateKey(credentials.privateKeyPem);
  } catch (err) {
    const encrypted = /ENCRYPTED/.test(credentials.privateKeyPem);
    throw new Error(encrypted
      ? 'The private key file is encrypted; give an unencrypted PEM key (e.g. `openssl pkey -in key.pem -out plain.pem`) and keep it on an encrypted disk.'
      : 'The private key file is not a PEM private key (expected -----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----).', { cause: err });
  }
  const summary: CertificateSummary = {
    subject: cert.subject.replace(/\n/g, ', '),
    thumbprintSha1: cert.fingerprint.replace(/:/g, ''),
    thumbprintSha256: cert.fingerprint256.replace(/:/g, ''),
    notBefore: new Date(cert.validFrom),
    notAfter: new Date(cert.validTo),
  };
  // MSAL signs its assertion PS256, which needs an RSA key.
  if (key.asymmetricKeyType !== 'rsa') throw new Error(`The private key is ${key.asymmetricKeyType ?? 'not asymmetric'}; Entra app certificates for sign-in must be RSA.`);
  if (!cert.checkPrivateKey(key)) {
    throw new Error(`The private key does not match the certificate ${summary.subject} (SHA-1 thumbprint ${summary.thumbprintSha1}): they are from different key pairs. Use the key created with this certificate.`);
  }
  if (now > summary.notAfter) {
    throw new Error(`The certificate ${summary.subject} (SHA-1 thumbprint ${summary.thumbprintSha1}) expired on ${summary.notAfter.toISOString()}. Ask the client to upload a new certificate to the app registration.`);
  }
  if (now < summary.notBefore) {
    throw new Error(`The certificate ${summary.subject} is not valid until ${summary.notBefore.toISOString()}; check this computer's clock.`);
  }
  // Handed to MSAL as PKCS#8 whatever the file held, so jsonwebtoken sees one format.
  return { summary, privateKeyPem: key.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

/** Turns MSAL's error for a refused token request into what the consultant should do; keeps the AADSTS code. */
export function explainTokenError(err: unknown, clientId: string, tenant: string, summary: CertificateSummary): Error {
  const e = err as { errorCode?: string; errorMessage?: string; message?: string };
  const text = e.errorMessage ?? e.message ?? String(err);
  const code = /AADSTS(\d+)/.exec(text)?.[1];
  if (!code) return err instanceof Error ? err : new Error(text);
  // Entra's own first sentence, without the trace ids that follow it.
  const said = text.replace(/^.*?AADSTS\d+:\s*/s, '').replace(/\s*(\[Reason.*|Trace ID:.*)$/s, '').trim();
  const hint: Record<string, string> = {
    '700027': `the certificate (SHA-1 thumbprint ${summary.thumbprintSha1}) is not registered on app ${clientId}, has expired there, or the key does not match it; check the app's Certificates & secrets`,
    '700016': `there is no app ${clientId} in tenant ${tenant}; check the application id and the tenant`,
    '700024': 'the sign-in assertion is outside its validity window; check this computer\'s clock',
    '7000229': `app ${clientId} has no service principal in the tenant: an administrator must grant it admin consent`,
    '500011': 'the resource is not available in this tenant (Exchange Online not licensed?)',
    '90002': `tenant ${tenant} does not exist in this cloud`,
  };
  return new Error(`The tenant refused the app-only sign-in (AADSTS${code}): ${said}${hint[code] ? ` — ${hint[code]}.` : ''}`, { cause: err });
}

function tokenClaims(accessToken: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(Buffer.from(accessToken.split('.')[1] ?? '', 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    // Tokens are opaque to clients; the claims only label the account.
    return {};
  }
}

export function createAppOnlySession(
  environment: TenantEnvironment,
  transport: HttpTransport,
  credentials: AppOnlyCredentials,
  clock: () => Date = () => new Date(),
): AppOnlySession {
  // Checked here so a wrong or mismatched file fails before any network I/O.
  const checked = checkAppOnlyCredentials(credentials, clock());
  const authorityHost = new URL(environment.authorityHost);
  const cca = new ConfidentialClientApplication({
    auth: {
      clientId: credentials.clientId,
      authority: `${environment.authorityHost}/${environment.tenant}`,
      knownAuthorities: [authorityHost.host],
      // x5c lets a tenant that trusts the subject/issuer (SNI) accept a renewed certificate; harmless otherwise.
      clientCertificate: { thumbprintSha256: checked.summary.thumbprintSha256, privateKey: checked.privateKeyPem, x5c: credentials.certificatePem },
    },
    system: {
      networkClient: msalNetworkClient(transport),
      loggerOptions: { piiLoggingEnabled: false, logLevel: LogLevel.Error, loggerCallback: () => undefined },
    },
  });
  let current: SignedInAccount | null = null;

  async function acquire(scopes: string[], forceRefresh: boolean): Promise<{ accessToken: string; tenantId: string; roles: string[] }> {
    if (clock() > checked.summary.notAfter) {
      throw new Error(`The certificate ${checked.summary.subject} expired on ${checked.summary.notAfter.toISOString()}; no new tokens can be obtained with it.`);
    }
    let result;
    try {
      // Client credentials take `<resource>/.default` only: the app's roles are whatever an admin granted it.
      result = await cca.acquireTokenByClientCredential({ scopes: defaultScopes(scopes), skipCache: forceRefresh });
    } catch (err) {
      throw explainTokenError(err, credentials.clientId, environment.tenant, checked.summary);
    }
    if (!result?.accessToken) throw new Error('The token service answered without an access token; app-only sign-in cannot continue.');
    const claims = tokenClaims(result.accessToken);
    const tid = typeof claims.tid === 'string' && guid.test(claims.tid) ? claims.tid : result.tenantId || environment.tenant;
    const roles = Array.isArray(claims.roles) ? claims.roles.filter((r): r is string => typeof r === 'string') : [];
    return { accessToken: result.accessToken, tenantId: tid, roles };
  }

  return {
    environment,
    certificate: { ...checked.summary },
    async signIn() {
      const { tenantId, roles } = await acquire(environment.graphScopes, false);
      current = { username: `app:${credentials.clientId}`, tenantId, objectId: null, scopes: roles };
      return current;
    },
    async getAccessToken(scopes, opts) {
      if (!current) throw new Error('Not signed in to the tenant. Sign in first.');
      return (await acquire(scopes, opts?.forceRefresh ?? false)).accessToken;
    },
    account() {
      return current ? { ...current, scopes: [...current.scopes] } : null;
    },
    async signOut() {
      // App tokens belong to no account; clearing the in-memory cache drops them all.
      cca.clearCache();
      current = null;
    },
  };
}

/**
 * App-only Exchange Online requests name a mailbox to route by, and an app has none: ExchangeOnlineManagement v3 routes
 * them through the tenant's system mailbox, `APP:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@<tenant id>`
 * (as CIPP-API's New-ExoBulkRequest does; `UPN:SystemMailbox{8cc370d3…}@<initial domain>` is an older form).
 */
export function appOnlyAnchorMailbox(tenantId: string): string {
  return `APP:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@${tenantId}`;
}
