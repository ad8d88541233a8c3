// Main process / CLI: remediation steps for mail flow: the connector, the header-stripping rules, forwarding and inbox rules.
import type { Finding } from '../../../preload/contract';
import type { TenantObjectRecord } from '../../../db/queries/objects';
import { PROTECTED_HEADER } from '../../detect/rules/exchange';
import type { RemediationRequest, StepItem } from '../model';
import { psCmdlet } from '../ps';
import type { DraftStep, PlanContext } from './context';
import { isStrong, item, keysOf, lower, objectsOf, pick, sourceOf } from './build';

/**
 * Each cmdlet's Exchange management role (sign-in.ts EXCHANGE_ROLE_GROUPS says which role groups hold it); Exchange
 * Administrator holds them all.
 */
export const exchangeNeeds = (role: 'Remote and Accepted Domains' | 'Transport Rules' | 'Mail Recipients' | 'Role Management' | 'Audit Logs') => ({ graphScopes: [], exchangeRoles: [role], directoryRoles: ['Exchange Administrator'] });

export const exo = (cmdlet: string, parameters: Record<string, unknown>): RemediationRequest => ({ api: 'exchange', cmdlet, parameters });

const list = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' && v !== '' ? v.split(/[;,]/).map((s) => s.trim()).filter(Boolean) : [];

export function mailSteps(ctx: PlanContext): DraftStep[] {
  return [...connectorSteps(ctx), ...transportRuleSteps(ctx), ...forwardingSteps(ctx), ...inboxRuleSteps(ctx)];
}

/** The campaign's connector (high: its name or an app made it); connectors rated lower are documented partners and gateways. */
function connectorSteps(ctx: PlanContext): DraftStep[] {
  const findings = ctx.findingsOf('exchange.suspicious-inbound-connector').filter(isStrong);
  return objectsOf(ctx, findings, 'inboundConnector').map(({ object, findings: why }) => {
    const raw = object.raw;
    const name = object.displayName ?? object.objectId;
    const ips = list(raw.SenderIPAddresses);
    return {
      id: `exo.remove-inbound-connector:${object.objectId}`,
      phase: 'eradicate',
      action: 'exo.remove-inbound-connector',
      title: `Remove the inbound connector ${name}`,
      text: { key: 'exo.remove-inbound-connector', params: { name, ips: ips.join(', ') } },
      why: `${why.map((f) => f.reason).join(' ')} While it exists, mail from ${ips.length > 0 ? ips.join(', ') : 'its senders'} is accepted as the organisation's own.`,
      findingKeys: keysOf(why),
      target: { kind: 'inboundConnector', id: object.objectId, name },
      items: [
        item({
          key: object.objectId,
          target: { kind: 'inboundConnector', id: object.objectId, name },
          read: exo('Get-InboundConnector', { Identity: object.objectId }),
          plannedOn: pick(raw, ['Name', 'SenderIPAddresses', 'Enabled']),
          writes: [exo('Remove-InboundConnector', { Identity: object.objectId })],
          expect: { absent: true },
          undo: {
            text: 'Create the connector again with the settings it had (the snapshot holds them all).',
            powershell: [psCmdlet('New-InboundConnector', { Name: name, ConnectorType: String(raw.ConnectorType ?? 'Partner'), SenderIPAddresses: ips, RequireTls: raw.RequireTls === true })],
          },
        }),
      ],
      needs: exchangeNeeds('Remote and Accepted Domains'),
      risk: 'medium',
      destructive: true,
      after: [],
      source: sourceOf(ctx.runId, object),
    };
  });
}

/** One bulk step: every live rule of the finding that removes a protected header, one item (and one result) each. */
function transportRuleSteps(ctx: PlanContext): DraftStep[] {
  const findings = ctx.findingsOf('exchange.header-stripping-rule').filter(isStrong);
  const rules = objectsOf(ctx, findings, 'transportRule')
    .filter(({ object }) => list(object.raw.RemoveHeader).some((h) => PROTECTED_HEADER.test(h)))
    .sort((a, b) => (a.object.displayName ?? '').localeCompare(b.object.displayName ?? '', 'en', { numeric: true }) || a.object.objectId.localeCompare(b.object.objectId));
  if (rules.length === 0) return [];
  const items: StepItem[] = rules.map(({ object }) => {
    const name = object.displayName ?? object.objectId;
    const headers = list(object.raw.RemoveHeader);
    return item({
      key: object.objectId,
      target: { kind: 'transportRule', id: object.objectId, name },
      read: exo('Get-TransportRule', { Identity: object.objectId }),
      plannedOn: pick(object.raw, ['Name', 'RemoveHeader', 'State']),
      writes: [exo('Remove-TransportRule', { Identity: object.objectId })],
      expect: { absent: true },
      undo: {
        text: 'Create the rule again with the header it removed (the snapshot holds its settings).',
        powershell: [psCmdlet('New-TransportRule', { Name: name, RemoveHeader: headers.join(', ') })],
      },
    });
  });
  const names = rules.map(({ object }) => object.displayName ?? object.objectId);
  return [{
    id: `exo.remove-transport-rules:${ctx.collection.tenantId ?? 'tenant'}`,
    phase: 'eradicate',
    action: 'exo.remove-transport-rules',
    title: `Remove ${rules.length === 1 ? 'the transport rule' : `${rules.length} transport rules`} that strip protected headers (${names.join(', ')})`,
    text: { key: 'exo.remove-transport-rules', params: { count: rules.length, names: names.join(', ') } },
    why: `${findings.map((f) => f.reason).join(' ')} Each rule hides the relayed spam's origin and authentication results; each is removed and checked on its own.`,
    findingKeys: keysOf(rules.flatMap((r) => r.findings)),
    target: { kind: 'tenant', id: ctx.collection.tenantId ?? 'tenant', name: ctx.collection.domains[0] ?? null },
    items,
    needs: exchangeNeeds('Transport Rules'),
    risk: 'medium',
    destructive: true,
    after: [],
    source: sourceOf(ctx.runId, rules[0]!.object),
  }];
}

/** Mailbox owners by every name Exchange gives them (alias, UPN, ExternalDirectoryObjectId), for the exclusion check. */
export function mailboxOwners(ctx: PlanContext): Map<string, TenantObjectRecord> {
  const owners = new Map<string, TenantObjectRecord>();
  for (const m of ctx.collection.objects('mailbox')) {
    for (const key of [m.raw.Alias, m.raw.Name, m.raw.UserPrincipalName, m.raw.PrimarySmtpAddress, m.raw.ExternalDirectoryObjectId, m.objectId]) {
      if (typeof key === 'string' && key) owners.set(lower(key), m);
    }
  }
  return owners;
}

/** Never touched: a mailbox of the remediating account or a break-glass account, whichever name the exclusion uses. */
export function excludedMailbox(ctx: PlanContext, mailbox: TenantObjectRecord | undefined): boolean {
  if (!mailbox) return false;
  const r = mailbox.raw;
  return [r.UserPrincipalName, r.PrimarySmtpAddress, r.ExternalDirectoryObjectId].some((v) => typeof v === 'string' && ctx.isExcludedAccount(v));
}

/** Mailbox forwarding to outside addresses: cleared, no copy kept elsewhere. */
function forwardingSteps(ctx: PlanContext): DraftStep[] {
  const findings = ctx.findingsOf('mail.external-forwarding');
  return objectsOf(ctx, findings, 'mailbox')
    .filter(({ object }) => !excludedMailbox(ctx, object))
    .map(({ object, findings: why }) => {
      const upn = typeof object.raw.UserPrincipalName === 'string' ? object.raw.UserPrincipalName : (object.displayName ?? object.objectId);
      const before = pick(object.raw, ['ForwardingSmtpAddress', 'ForwardingAddress', 'DeliverToMailboxAndForward']);
      const cleared = { ForwardingSmtpAddress: null, ForwardingAddress: null, DeliverToMailboxAndForward: false };
      return {
        id: `exo.remove-mailbox-forwarding:${object.objectId}`,
        phase: 'eradicate',
        action: 'exo.remove-mailbox-forwarding',
        title: `Stop ${upn} forwarding mail outside the organisation`,
        text: { key: 'exo.remove-mailbox-forwarding', params: { upn } },
        why: `${why.map((f) => f.reason).join(' ')} Confirm with the mailbox owner first: people also forward to a personal account, which leaks mail all the same.`,
        findingKeys: keysOf(why),
        target: { kind: 'mailbox', id: object.objectId, name: upn },
        items: [
          item({
            key: object.objectId,
            target: { kind: 'mailbox', id: object.objectId, name: upn },
            read: exo('Get-Mailbox', { Identity: upn }),
            plannedOn: before,
            writes: [exo('Set-Mailbox', { Identity: upn, ...cleared })],
            expect: { equals: cleared },
            undo: { text: 'Set the forwarding back as it was.', requests: [exo('Set-Mailbox', { Identity: upn, ...before })] },
          }),
        ],
        needs: exchangeNeeds('Mail Recipients'),
        risk: 'medium',
        destructive: true,
        after: [],
        source: sourceOf(ctx.runId, object),
      } satisfies DraftStep;
    });
}

/** Inbox rules forwarding or redirecting outside: one step per mailbox, one item per rule. */
function inboxRuleSteps(ctx: PlanContext): DraftStep[] {
  const findings = ctx.findingsOf('mail.external-forwarding');
  const owners = mailboxOwners(ctx);
  const byMailbox = new Map<string, { owner: string; mailbox: TenantObjectRecord | undefined; rules: { object: TenantObjectRecord; findings: Finding[] }[] }>();
  for (const rule of objectsOf(ctx, findings, 'inboxRule')) {
    const owner = String(rule.object.raw.MailboxOwnerId ?? rule.object.principalId ?? rule.object.objectId.split('\\')[0] ?? '');
    const mailbox = owners.get(lower(owner));
    if (!owner || excludedMailbox(ctx, mailbox) || ctx.isExcludedAccount(owner)) continue;
    const entry = byMailbox.get(lower(owner)) ?? { owner, mailbox, rules: [] };
    entry.rules.push(rule);
    byMailbox.set(lower(owner), entry);
  }
  return [...byMailbox.values()].map(({ owner, mailbox, rules }) => {
    const name = typeof mailbox?.raw.UserPrincipalName === 'string' ? mailbox.raw.UserPrincipalName : owner;
    const items = rules.map(({ object }) => {
      const ruleName = object.displayName ?? object.objectId;
      const raw = object.raw;
      return item({
        key: object.objectId,
        target: { kind: 'inboxRule', id: object.objectId, name: ruleName },
        read: exo('Get-InboxRule', { Mailbox: owner, Identity: object.objectId }),
        plannedOn: pick(raw, ['Name', 'Enabled', 'ForwardTo', 'RedirectTo', 'ForwardAsAttachmentTo']),
        writes: [exo('Remove-InboxRule', { Mailbox: owner, Identity: object.objectId })],
        expect: { absent: true },
        undo: {
          text: 'Create the rule again with the recipients it had (the snapshot holds them).',
          powershell: [psCmdlet('New-InboxRule', {
            Mailbox: owner, Name: ruleName,
            ...Object.fromEntries((['ForwardTo', 'RedirectTo', 'ForwardAsAttachmentTo'] as const).flatMap((k) => (list(raw[k]).length > 0 ? [[k, list(raw[k]).map(smtpOf)]] : []))),
          })],
        },
      });
    });
    const why = rules.flatMap((r) => r.findings);
    const names = rules.map((r) => `"${r.object.displayName ?? r.object.objectId}"`).join(', ');
    return {
      id: `exo.remove-inbox-rules:${mailbox?.objectId ?? lower(owner)}`,
      phase: 'eradicate',
      action: 'exo.remove-inbox-rules',
      title: `Remove the inbox ${rules.length === 1 ? 'rule' : 'rules'} ${names} of ${name} that send mail outside`,
      text: { key: 'exo.remove-inbox-rules', params: { count: rules.length, names, upn: name } },
      why: `${[...new Set(why.map((f) => f.reason))].join(' ')} Confirm with the mailbox owner first.`,
      findingKeys: keysOf(why),
      target: { kind: 'mailbox', id: mailbox?.objectId ?? owner, name },
      items,
      needs: exchangeNeeds('Mail Recipients'),
      risk: 'low',
      destructive: true,
      after: [],
      source: sourceOf(ctx.runId, rules[0]!.object),
    } satisfies DraftStep;
  });
}

/** `"a@b.com" [SMTP:a@b.com]` → `a@b.com`: what New-InboxRule takes. */
function smtpOf(recipient: string): string {
  return /\[SMTP:([^\]]+)\]/i.exec(recipient)?.[1] ?? recipient;
}
