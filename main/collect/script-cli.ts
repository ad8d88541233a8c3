// CLI: `peregrine script collect --out <file.ps1>` — writes the read-only collection script for a client's administrator.
import fs from 'node:fs';
import path from 'node:path';
import { CLOUD_NAMES, cloudEnvironment, type CloudName } from '../auth/environment';
import { TOOL_VERSION } from '../version';
import { parse, required, UsageError, type CliIo } from '../cli';
import { collectionScript } from './script';

export async function scriptCommand(args: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'collect') throw new UsageError(sub ? `Unknown script "${sub}" (collect).` : 'script needs a kind: collect.');
  const { values } = parse(rest, { out: { type: 'string' }, tenant: { type: 'string' }, cloud: { type: 'string' }, days: { type: 'string' }, 'inbox-rules': { type: 'string' } }, []);
  const out = required(values, 'out');
  const cloud = (values.cloud as string | undefined) ?? 'commercial';
  if (!(CLOUD_NAMES as string[]).includes(cloud)) throw new UsageError(`--cloud must be one of ${CLOUD_NAMES.join(', ')}, not "${cloud}".`);
  const tenant = values.tenant as string | undefined;
  // The same check a collection makes, so the script's default is a tenant Entra can take.
  if (tenant !== undefined) cloudEnvironment(cloud as CloudName, tenant);
  const days = values.days === undefined ? 30 : Number(values.days);
  if (!Number.isInteger(days) || days < 0 || days > 180) throw new UsageError('--days must be a whole number from 0 to 180.');
  const mailboxes = typeof values['inbox-rules'] === 'string' ? values['inbox-rules'].split(',').map((m) => m.trim()).filter(Boolean) : [];
  for (const m of mailboxes) if (!/^[^\s@']+@[^\s@']+$/.test(m)) throw new UsageError(`--inbox-rules: "${m}" is not a mailbox address.`);
  const text = collectionScript({ tenant: tenant ?? null, cloud: cloud as CloudName, days, inboxRuleMailboxes: mailboxes, toolVersion: TOOL_VERSION, generatedAt: io.clock().toISOString() });
  try {
    // Never over an existing file: a script already handed over stays as it was.
    fs.writeFileSync(out, text, { encoding: 'utf8', flag: 'wx' });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new UsageError(`${out} already exists: choose another --out.`);
    throw new Error(`Cannot write ${out}: ${code ?? (err as Error).message}.`, { cause: err });
  }
  io.out(`Wrote ${out}: a read-only PowerShell 7 script (Microsoft Graph PowerShell and ExchangeOnlineManagement) for the client's administrator.`);
  io.out(`Run: pwsh ${path.basename(out)}${tenant ? '' : ' -Tenant <domain|id>'}${values.cloud === undefined ? ' [-Cloud <cloud>]' : ''}. It lists what it reads and asks first; hand back the folder it writes, then: peregrine import <case> <folder>.`);
  return 0;
}
