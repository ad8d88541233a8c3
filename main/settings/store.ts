// Main process / CLI: Peregrine's own settings on this machine (outside every case file) — the examiner, the client ids
// collection and remediation sign in with, the engagement's own apps, accounts never to touch, the default time zone.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const UPN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** A time zone this runtime's Intl knows (IANA name or UTC). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const appId = z.string().trim().regex(GUID, 'must be an app id (a GUID)').transform((v) => v.toLowerCase());
const account = z.string().trim().refine((v) => GUID.test(v) || UPN.test(v), 'must be a user principal name (name@domain) or an object id (a GUID)').transform((v) => v.toLowerCase());

export const SettingsSchema = z
  .object({
    examiner: z.string().trim().max(200).regex(/^[^\p{Cc}]*$/u, 'must be one line').default(''),
    /** The public client collection signs in with on a real tenant; empty: Microsoft Graph Command Line Tools. */
    collectionClientId: z.union([z.literal(''), appId]).default(''),
    /** The public client remediation signs in with (write scopes); empty: the collection's. */
    remediationClientId: z.union([z.literal(''), appId]).default(''),
    /** App ids of the engagement's own registrations in client tenants: shown as ours, never remediated. */
    engagementAppIds: z.array(appId).max(50).default([]),
    /** Accounts remediation never touches (break-glass): UPNs or object ids. */
    breakGlass: z.array(account).max(50).default([]),
    defaultTimeZone: z.string().trim().refine((v) => v === '' || isTimeZone(v), 'must be a time zone name such as UTC or Asia/Tokyo').default(''),
  })
  .strict();

export type Settings = z.output<typeof SettingsSchema>;
export type SettingsInput = z.input<typeof SettingsSchema>;

export class SettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SettingsError';
  }
}

export const settingsFile = (homeDir: string): string => path.join(homeDir, 'settings.json');

/** The settings, or the defaults when there is no file yet. A file that cannot be read is an error naming it and the field: it is never silently replaced. */
export function loadSettings(homeDir: string): Settings {
  const file = settingsFile(homeDir);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return SettingsSchema.parse({});
    throw new SettingsError(`Cannot read the settings file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}.`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new SettingsError(`The settings file ${file} is not valid JSON (${(err as Error).message}); fix or remove it. Nothing was changed.`);
  }
  return parseSettings(json, `The settings file ${file}`);
}

export function parseSettings(input: unknown, what = 'The settings'): Settings {
  const parsed = SettingsSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new SettingsError(`${what} ${issue.path.length ? `has an invalid ${issue.path.join('.')}` : 'is invalid'}: ${issue.message}.`);
  }
  return { ...parsed.data, engagementAppIds: [...new Set(parsed.data.engagementAppIds)], breakGlass: [...new Set(parsed.data.breakGlass)] };
}

/** Writes the settings whole: a new file renamed over the old, readable by this user only. */
export function saveSettings(homeDir: string, settings: Settings): void {
  fs.mkdirSync(homeDir, { recursive: true, mode: 0o700 });
  const file = settingsFile(homeDir);
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, `${JSON.stringify(settings, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(temp, file);
}
