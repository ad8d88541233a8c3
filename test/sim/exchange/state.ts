// Test tooling (Node): the simulated tenant's Exchange Online state (connectors, transport rules, mailboxes, inbox rules) and its ExchangeAdmin history, built deterministically from the tenant.
import { createPrng, type Prng } from '../prng';
import { SCENARIOS } from '../scenario-data';
import type { GraphUser } from '../graph-types';
import type { Tenant } from '../scenario';
import type {
  ExchangeOrg, InboundConnectorSpec, InboxRuleSpec, MailboxSpec, OutboundConnectorSpec, TransportRuleSpec,
} from './objects';
import { exchangeAdminRecord, type AdminActor, type UnifiedAuditRow } from './ual';

const DAY = 24 * 60 * 60 * 1000;
const MINUTE = 60 * 1000;

/** One create-then-remove run of the attacker's script. */
export interface AttackCycle {
  connectorGuid: string;
  connectorName: string;
  ruleGuids: string[];
  createdMs: number;
  /** Null when the run's objects are still in place. */
  removedMs: number | null;
}

export interface ExchangeGroundTruth {
  attackLive: boolean;
  attackerMailIps: string[];
  /** Current objects the attack left (empty when the attacker cleaned up). */
  maliciousInboundConnectors: { guid: string; name: string }[];
  maliciousTransportRules: { guid: string; name: string; removeHeader: string }[];
  /** Every create/remove run, whether or not its objects still exist. */
  cycles: { connectorName: string; connectorGuid: string; createdDateTime: string; removedDateTime: string | null }[];
  /** Ids (Identity) of every ExchangeAdmin audit row the attack produced. */
  maliciousAuditRecordIds: string[];
  decoyInboundConnectors: { guid: string; name: string; reason: string }[];
  decoyTransportRules: { guid: string; name: string; reason: string }[];
  /** Benign but notable: forwarding outside the organisation (not part of the attack). */
  externalForwarding: { mailboxes: string[]; inboxRules: string[] };
  /**
   * Get-MailboxAuditBypassAssociation: one row per account (every mailbox user and the archiving service's account).
   * `malicious`: accounts the attack exempted that are still exempt now; `decoys`: the archiving service's account.
   */
  auditBypass: { count: number; malicious: string[]; decoys: { name: string; reason: string }[] };
  /**
   * Exchange RBAC for applications: service principals registered in Exchange (Get-ServicePrincipal) and the management
   * roles assigned to them (Get-ManagementRoleAssignment -RoleAssigneeType ServicePrincipal), as they are now.
   */
  appRbac: {
    servicePrincipals: number;
    roleAssignments: number;
    malicious: { appIds: string[]; roleAssignmentNames: string[] };
    decoys: { appIds: string[]; roleAssignmentNames: string[]; reason: string }[];
  };
  counts: { inboundConnectors: number; outboundConnectors: number; transportRules: number; mailboxes: number; inboxRules: number; adminAuditRecords: number };
}

/** A service principal registered in Exchange (New-ServicePrincipal): the Entra app it stands for. */
export interface ExchangeServicePrincipalSpec {
  guid: string;
  appId: string;
  objectId: string;
  displayName: string;
  createdMs: number;
}

/** A management role assigned to a service principal (New-ManagementRoleAssignment -App). */
export interface AppRoleAssignmentSpec {
  guid: string;
  name: string;
  role: string;
  /** The Exchange service principal's Guid. */
  assignee: string;
  assigneeName: string;
  customResourceScope: string | null;
  createdMs: number;
}

/** An account exempted from mailbox auditing (Set-MailboxAuditBypassAssociation -AuditBypassEnabled). */
export interface AuditBypassSpec {
  guid: string;
  name: string;
  enabled: boolean;
  createdMs: number;
  changedMs: number;
}

function iso(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function ruleIdentity(prng: Prng): string {
  // Exchange prints inbox rule ids as unsigned 64-bit decimals; 18-19 digits in practice.
  return `${prng.int(1, 9)}${prng.chars(18, '0123456789')}`;
}

const EXTERNAL_MAIL_DOMAINS = ['gmail.com', 'outlook.com', 'yahoo.com', 'proton.me', 'icloud.com'];
const NEWSLETTER_SENDERS = ['news@linkedin.com', 'digest@medium.com', 'noreply@github.com', 'newsletter@techcrunch.com', 'updates@zoom.us'];

/** The Exchange side of a tenant. Mutable: the removal cmdlets change it. */
export class ExchangeState {
  readonly org: ExchangeOrg;
  readonly inboundConnectors: InboundConnectorSpec[] = [];
  readonly outboundConnectors: OutboundConnectorSpec[] = [];
  readonly transportRules: TransportRuleSpec[] = [];
  readonly cycles: AttackCycle[] = [];
  /** ExchangeAdmin rows for changes made before the reference time (the attack's cycles and ordinary admin work). */
  readonly history: UnifiedAuditRow[] = [];
  readonly attackerMailIps: string[];
  readonly attackLive: boolean;
  readonly refMs: number;
  private readonly decoyConnectors: { guid: string; name: string; reason: string }[] = [];
  private readonly decoyRules: { guid: string; name: string; reason: string }[] = [];
  private readonly maliciousRecordIds: string[] = [];
  private readonly mailboxOverrides = new Map<string, Partial<MailboxSpec>>();
  /** Inbox rules removed by Remove-InboxRule: `<user id>|<rule identity>`. */
  private readonly removedInboxRules = new Set<string>();
  /**
   * Get-AdminAuditLogConfig's switches. Unified Audit Log ingestion is on by default in Microsoft 365 tenants
   * (https://learn.microsoft.com/purview/audit-log-enable-disable); the attack scenario leaves it on.
   */
  readonly auditConfig = { adminAuditLogEnabled: true, unifiedAuditLogIngestionEnabled: true, changedMs: 0 };
  /**
   * Get-OrganizationConfig's AuditDisabled: mailbox auditing is on by default for the organisation since 2019
   * (https://learn.microsoft.com/purview/audit-mailboxes); nobody turned it off in either scenario.
   */
  readonly organizationConfig = { auditDisabled: false, guid: '', createdMs: 0, changedMs: 0 };
  /** Audit bypass set on accounts, by user id (or the service account's name); every other account has it off. */
  readonly auditBypass = new Map<string, AuditBypassSpec>();
  /** The archiving service's own account (an Exchange-only service account here, with bypass on since set-up). */
  readonly serviceAccounts: AuditBypassSpec[] = [];
  private readonly decoyBypass: { name: string; reason: string }[] = [];
  readonly exchangeServicePrincipals: ExchangeServicePrincipalSpec[] = [];
  readonly appRoleAssignments: AppRoleAssignmentSpec[] = [];
  private readonly maliciousRbac = { appIds: [] as string[], roleAssignmentNames: [] as string[] };
  private readonly decoyRbac: { appIds: string[]; roleAssignmentNames: string[]; reason: string }[] = [];
  private scanned: { forwardingMailboxes: string[]; forwardingRules: string[]; inboxRuleCount: number } | undefined;
  private adminCache: GraphUser[] | undefined;
  private readonly usersByKey = new Map<string, GraphUser>();

  constructor(readonly tenant: Tenant) {
    this.refMs = Date.parse(tenant.referenceTime);
    this.auditConfig.changedMs = this.refMs - 365 * DAY;
    const facts = tenant.attack.exchange;
    // The attacker's last run may still be in place (removedDateTime null): then the connector and rules exist now.
    this.attackLive = facts.cycles.length > 0 && facts.cycles[facts.cycles.length - 1]?.removedDateTime === null;
    const prng = this.stream('org');
    const region = prng.pick(['NAMPR', 'EURPR', 'APCPR']);
    const partition = `${region}${prng.int(1, 19).toString().padStart(2, '0')}A${prng.int(1, 999).toString().padStart(3, '0')}`;
    const server = `${region.slice(0, 2)}${prng.int(1, 9)}PR${prng.int(1, 19).toString().padStart(2, '0')}A${prng.int(1, 99).toString().padStart(2, '0')}DC${prng.int(1, 9).toString().padStart(3, '0')}`;
    this.org = { domain: tenant.domain, partition, originatingServer: `${server}.${partition}.PROD.OUTLOOK.COM` };
    this.attackerMailIps = [...facts.attackerMailIps];
    for (const user of tenant.users) {
      this.usersByKey.set(user.userPrincipalName.toLowerCase(), user);
      this.usersByKey.set(user.id.toLowerCase(), user);
      this.usersByKey.set(user.mail.toLowerCase(), user);
      this.usersByKey.set(aliasOf(user).toLowerCase(), user);
    }
    this.buildBenignConfiguration();
    this.buildAttack();
    this.buildAuditConfiguration();
    this.buildAppRbac();
    this.history.sort((a, b) => Date.parse(a.CreationDate) - Date.parse(b.CreationDate) || (a.Identity < b.Identity ? -1 : 1));
  }

  stream(part: string): Prng {
    return createPrng(`peregrine-sim/${this.tenant.scenario}/${this.tenant.seed}/exchange/${part}`);
  }

  private adminActor(prng: Prng): AdminActor {
    const ga = '62e90394-69f5-4237-9190-012177145e10';
    if (!this.adminCache) {
      const adminIds = new Set(this.tenant.directoryRoleAssignments.filter((r) => r.roleDefinitionId === ga && r.principalType === 'User').map((r) => r.principalId));
      this.adminCache = this.tenant.users.filter((u) => adminIds.has(u.id) && u.id !== this.tenant.attack.compromisedUserId);
    }
    const admins = this.adminCache;
    const user = prng.pick(admins.length > 0 ? admins : this.tenant.users);
    const corporate = SCENARIOS[this.tenant.scenario].corporateIpPrefixes;
    return { kind: 'user', userId: user.userPrincipalName, userKey: puid(user.id), appId: 'fb78d390-0c51-40cd-8e17-fdbfab77341b', clientIp: `${prng.pick(corporate)}${prng.int(2, 254)}` };
  }

  private record(prng: Prng, atMs: number, operation: string, objectId: string, parameters: Record<string, string>, actor: AdminActor): UnifiedAuditRow {
    const row = exchangeAdminRecord({
      id: prng.guid(), atMs, operation, objectId, actor, tenantId: this.tenant.tenantId, organizationName: this.tenant.domain,
      originatingServer: `${this.org.originatingServer.split('.')[0] ?? 'SERVER'} (15.20.${prng.int(7000, 8999)}.${prng.int(0, 40).toString().padStart(3, '0')})`,
      parameters: Object.entries(parameters).map(([Name, Value]) => ({ Name, Value })),
    });
    this.history.push(row);
    return row;
  }

  private buildBenignConfiguration(): void {
    const prng = this.stream('configuration');
    const def = SCENARIOS[this.tenant.scenario];
    const org = def.displayName.split(' ')[0] ?? def.displayName;
    const partnerDomain = prng.pick(['northwindtraders.com', 'adventure-works.com', 'tailspintoys.com', 'wingtiptoys.com', 'woodgrovebank.com']);
    const created = (minDays: number, maxDays: number) => this.refMs - prng.int(minDays, maxDays) * DAY - prng.int(0, 86_399) * 1000;

    // A partner connector forcing TLS from a supplier's domain: ordinary.
    const partnerMs = created(300, 700);
    this.inboundConnectors.push({
      guid: prng.guid(), name: `Inbound from ${partnerDomain}`, enabled: true, connectorType: 'Partner', connectorSource: 'AdminUI',
      comment: `Force TLS for mail from ${partnerDomain} (supplier contract).`, senderIpAddresses: [], senderDomains: [partnerDomain],
      requireTls: true, restrictDomainsToIpAddresses: false, tlsSenderCertificateName: null, createdMs: partnerMs, changedMs: partnerMs + prng.int(1, 30) * MINUTE,
    });
    this.record(prng, partnerMs, 'New-InboundConnector', `Inbound from ${partnerDomain}`, { Name: `Inbound from ${partnerDomain}`, ConnectorType: 'Partner', SenderDomains: partnerDomain, RequireTls: 'True' }, this.adminActor(prng));

    // Decoy: a legitimate on-premises relay (scanner and line-of-business servers), with its documented addresses.
    const onPremMs = created(200, 500);
    const relayIps = [`198.18.${prng.int(0, 255)}.${prng.int(2, 254)}`, `198.18.${prng.int(0, 255)}.${prng.int(2, 254)}`];
    const relayName = `${org} on-premises relay`;
    const relayGuid = prng.guid();
    this.inboundConnectors.push({
      guid: relayGuid, name: relayName, enabled: true, connectorType: 'OnPremises', connectorSource: 'AdminUI',
      comment: `Relay for the ${def.address.city} datacenter (scanners, ERP). Addresses documented in change ${prng.int(10000, 99999)}; owner: IT infrastructure.`,
      senderIpAddresses: relayIps, senderDomains: ['*'], requireTls: false, restrictDomainsToIpAddresses: false, tlsSenderCertificateName: null,
      createdMs: onPremMs, changedMs: onPremMs + prng.int(1, 60) * DAY,
    });
    this.decoyConnectors.push({ guid: relayGuid, name: relayName, reason: 'legitimate on-premises relay with documented partner/datacenter IPs, created by an admin in the admin center' });
    this.record(prng, onPremMs, 'New-InboundConnector', relayName, { Name: relayName, ConnectorType: 'OnPremises', SenderIPAddresses: relayIps.join(';') }, this.adminActor(prng));

    // Decoy: a mail-security gateway partner connector restricted to the vendor's documented range.
    const gatewayMs = created(400, 900);
    const gateway = prng.pick(['Mimecast', 'Proofpoint', 'Barracuda']);
    const gatewayGuid = prng.guid();
    const gatewayName = `${gateway} inbound`;
    const gatewayIps = [`198.19.${prng.int(0, 255)}.0/24`];
    this.inboundConnectors.push({
      guid: gatewayGuid, name: gatewayName, enabled: true, connectorType: 'Partner', connectorSource: 'AdminUI',
      comment: `${gateway} secure email gateway: only accept from ${gateway}'s published range.`, senderIpAddresses: gatewayIps, senderDomains: ['*'],
      requireTls: true, restrictDomainsToIpAddresses: true, tlsSenderCertificateName: null, createdMs: gatewayMs, changedMs: gatewayMs + prng.int(1, 10) * DAY,
    });
    this.decoyConnectors.push({ guid: gatewayGuid, name: gatewayName, reason: 'mail gateway partner connector restricted to the vendor\'s documented IP range' });

    const outPartnerMs = created(250, 650);
    this.outboundConnectors.push({
      guid: prng.guid(), name: `Outbound to ${partnerDomain}`, enabled: true, connectorType: 'Partner', connectorSource: 'AdminUI',
      comment: 'Require a valid certificate for the supplier.', recipientDomains: [partnerDomain], smartHosts: [], useMxRecord: true,
      tlsSettings: 'DomainValidation', tlsDomain: partnerDomain, isTransportRuleScoped: false, routeAllMessagesViaOnPremises: false,
      createdMs: outPartnerMs, changedMs: outPartnerMs + prng.int(1, 30) * MINUTE,
    });
    const outOnPremMs = created(200, 500);
    this.outboundConnectors.push({
      guid: prng.guid(), name: `To ${org} on-premises`, enabled: true, connectorType: 'OnPremises', connectorSource: 'AdminUI',
      comment: 'Application mailboxes hosted on premises.', recipientDomains: [`apps.${def.customDomain}`], smartHosts: [`mail.${def.customDomain}`],
      useMxRecord: false, tlsSettings: 'CertificateValidation', tlsDomain: null, isTransportRuleScoped: false, routeAllMessagesViaOnPremises: false,
      createdMs: outOnPremMs, changedMs: outOnPremMs + prng.int(1, 10) * DAY,
    });

    const ruleOwner = this.adminActor(prng);
    const ownerName = this.tenant.users.find((u) => u.userPrincipalName === ruleOwner.userId)?.displayName ?? ruleOwner.userId;
    const rule = (spec: Omit<TransportRuleSpec, 'guid' | 'priority' | 'createdBy' | 'lastModifiedBy' | 'mode' | 'state' | 'comments'> & { comments?: string | null }, decoyReason?: string) => {
      const guid = prng.guid();
      this.transportRules.push({
        guid, priority: this.transportRules.length, state: 'Enabled', mode: 'Enforce', createdBy: ownerName, lastModifiedBy: ownerName,
        comments: spec.comments ?? null, ...spec,
      });
      if (decoyReason) this.decoyRules.push({ guid, name: spec.name, reason: decoyReason });
      this.record(prng, spec.changedMs - prng.int(0, 3) * DAY, 'New-TransportRule', spec.name, { Name: spec.name, ...Object.fromEntries(Object.entries(spec.parameters).map(([k, v]) => [k, Array.isArray(v) ? v.join(';') : String(v)])) }, ruleOwner);
    };

    rule({
      name: 'External sender tag', conditions: ['FromScopePredicate'], actions: ['PrependSubjectAction'],
      conditionText: ["Is received from 'Outside the organization'"], actionText: ["Prepend the subject with '[External]'"],
      parameters: { FromScope: 'NotInOrganization', PrependSubject: '[External]' }, changedMs: created(300, 800),
    });
    const disclaimer = `<p style="font-size:9pt">This message is confidential and intended for the addressee only. ${def.displayName}, ${def.address.city}.</p>`;
    rule({
      name: `${org} legal disclaimer`, conditions: ['SentToScopePredicate'], actions: ['ApplyHtmlDisclaimerAction'],
      conditionText: ["Is sent to 'Outside the organization'"], actionText: [`Append disclaimer '${disclaimer}' and fall back to action 'Wrap' if the disclaimer can't be inserted.`],
      parameters: { SentToScope: 'NotInOrganization', ApplyHtmlDisclaimerLocation: 'Append', ApplyHtmlDisclaimerText: disclaimer, ApplyHtmlDisclaimerFallbackAction: 'Wrap' },
      changedMs: created(200, 700), comments: 'Required by legal.',
    }, 'disclaimer rule (legal), modifies outbound mail but removes no header');
    const archive = `journal@${prng.pick(['archive.', 'vault.', 'mailarchive.'])}${def.customDomain}`;
    rule({
      name: 'Journal external mail to archive', conditions: ['FromScopePredicate'], actions: ['BlindCopyToAction'],
      conditionText: ["Is received from 'Outside the organization'"], actionText: [`Blind carbon copy (Bcc) the message to '${archive}'`],
      parameters: { FromScope: 'NotInOrganization', BlindCopyTo: [archive] }, changedMs: created(300, 900), comments: 'Retention: copy of inbound mail kept for 7 years.',
    }, 'journaling/archiving rule that copies mail to the organisation\'s own archive');
    rule({
      name: 'Block executable attachments', conditions: ['AttachmentHasExecutableContentPredicate'], actions: ['RejectMessageAction'],
      conditionText: ['Has an attachment with executable content'], actionText: ["reject the message and include the explanation 'Executable attachments are not allowed.' with the status code: '5.7.1'"],
      parameters: { AttachmentHasExecutableContent: true, RejectMessageReasonText: 'Executable attachments are not allowed.', RejectMessageEnhancedStatusCode: '5.7.1' },
      changedMs: created(100, 600),
    });
    rule({
      name: 'Tag internal classification header', conditions: ['FromScopePredicate'], actions: ['SetHeaderAction'],
      conditionText: ["Is received from 'Inside the organization'"], actionText: [`Set message header 'X-${org}-Classification' with the value 'Internal'`],
      parameters: { FromScope: 'InOrganization', SetHeaderName: `X-${org}-Classification`, SetHeaderValue: 'Internal' }, changedMs: created(60, 400),
    }, 'sets an organisation header; touches headers but removes none');
  }

  private buildAttack(): void {
    const prng = this.stream('attack');
    const attack = this.tenant.attack;
    const sp = this.tenant.servicePrincipals.find((s) => s.id === attack.maliciousServicePrincipalId);
    const actor: AdminActor = {
      kind: 'app', userId: attack.maliciousServicePrincipalId, userKey: attack.maliciousAppId, appId: sp?.appId ?? attack.maliciousAppId,
      clientIp: this.attackerMailIps[0] ?? null,
    };
    const { transportRuleNames, removedHeaders } = attack.exchange;
    const ruleName = (i: number) => transportRuleNames[i] ?? `Test0${i + 1}`;
    for (const cycle of attack.exchange.cycles) {
      const at = Date.parse(cycle.createdDateTime);
      const removedMs = cycle.removedDateTime === null ? null : Date.parse(cycle.removedDateTime);
      const connectorName = cycle.connectorName;
      const connectorGuid = prng.guid();
      const ruleGuids = removedHeaders.map(() => prng.guid());
      this.cycles.push({ connectorGuid, connectorName, ruleGuids, createdMs: at, removedMs });
      const rec = (atMs: number, op: string, objectId: string, params: Record<string, string>) => this.maliciousRecordIds.push(this.record(prng, atMs, op, objectId, params, actor).Identity);
      rec(at, 'New-InboundConnector', connectorName, {
        Name: connectorName, ConnectorType: 'OnPremises', SenderIPAddresses: this.attackerMailIps.join(';'), RequireTls: 'False', RestrictDomainsToIPAddresses: 'False',
      });
      // The script creates the twelve rules seconds apart, right after the connector.
      let t = at + prng.int(20, 90) * 1000;
      const ruleTimes: number[] = [];
      removedHeaders.forEach((header, i) => {
        t += prng.int(2, 9) * 1000;
        ruleTimes.push(t);
        rec(t, 'New-TransportRule', ruleName(i), { Name: ruleName(i), RemoveHeader: header, Priority: String(i) });
      });
      if (removedMs === null) {
        this.inboundConnectors.push({
          guid: connectorGuid, name: connectorName, enabled: true, connectorType: 'OnPremises', connectorSource: 'Default', comment: '',
          senderIpAddresses: [...this.attackerMailIps], senderDomains: ['*'], requireTls: false, restrictDomainsToIpAddresses: false,
          tlsSenderCertificateName: null, createdMs: at, changedMs: at,
        });
        const benign = this.transportRules.length;
        const owner = sp?.displayName ?? attack.maliciousDisplayName;
        removedHeaders.forEach((header, i) => {
          this.transportRules.push({
            guid: ruleGuids[i] ?? prng.guid(), name: ruleName(i), priority: benign + i, state: 'Enabled', mode: 'Enforce',
            createdBy: owner, lastModifiedBy: owner, comments: null,
            conditions: [], actions: ['RemoveHeaderAction'], conditionText: [], actionText: [`Remove the message header '${header}'`],
            parameters: { RemoveHeader: header }, changedMs: ruleTimes[i] ?? at,
          });
        });
      } else {
        let r = removedMs;
        removedHeaders.forEach((_h, i) => {
          r += prng.int(2, 9) * 1000;
          rec(r, 'Remove-TransportRule', ruleName(i), { Identity: ruleName(i), Confirm: 'False' });
        });
        rec(r + prng.int(5, 30) * 1000, 'Remove-InboundConnector', connectorName, { Identity: connectorName, Confirm: 'False' });
      }
    }
  }

  // ---- mailboxes and inbox rules (derived per user on demand, so 100,000 users cost nothing until asked) ----

  findUser(identity: string): GraphUser | undefined {
    return this.usersByKey.get(identity.toLowerCase());
  }

  /** A mailbox's forwarding, drawn first from its stream so the ground-truth scan can stop there. */
  private forwarding(user: GraphUser): { prng: Prng; createdMs: number; forwardingSmtpAddress: string | null; forwardingAddress: string | null } {
    const prng = createPrng(`peregrine-sim/${this.tenant.scenario}/${this.tenant.seed}/exchange/mailbox/${user.id}`);
    const createdMs = Date.parse(user.createdDateTime) + prng.int(2, 30) * MINUTE;
    const roll = prng.next();
    let forwardingSmtpAddress: string | null = null;
    let forwardingAddress: string | null = null;
    if (roll < 0.03) {
      // Someone forwarding their mail to a personal account: common, benign-but-notable.
      forwardingSmtpAddress = `smtp:${user.givenName.toLowerCase().replace(/[^a-z]/g, '')}.${prng.int(10, 99)}@${prng.pick(EXTERNAL_MAIL_DOMAINS)}`;
    } else if (roll < 0.06) {
      const other = prng.pick(this.tenant.users);
      if (other.id !== user.id) forwardingAddress = aliasOf(other);
    }
    return { prng, createdMs, forwardingSmtpAddress, forwardingAddress };
  }

  mailbox(user: GraphUser): MailboxSpec {
    const { prng, createdMs, forwardingSmtpAddress, forwardingAddress } = this.forwarding(user);
    const alias = aliasOf(user);
    const spec: MailboxSpec = {
      guid: prng.guid(), exchangeGuid: prng.guid(), userId: user.id, name: alias, alias, displayName: user.displayName,
      userPrincipalName: user.userPrincipalName, primarySmtpAddress: user.mail, recipientTypeDetails: 'UserMailbox',
      forwardingAddress, forwardingSmtpAddress, deliverToMailboxAndForward: forwardingAddress !== null || forwardingSmtpAddress !== null ? prng.chance(0.7) : false,
      createdMs, changedMs: Math.min(this.refMs - DAY, createdMs + prng.int(1, 400) * DAY),
    };
    return { ...spec, ...this.mailboxOverrides.get(user.id) };
  }

  inboxRules(user: GraphUser): InboxRuleSpec[] {
    const prng = createPrng(`peregrine-sim/${this.tenant.scenario}/${this.tenant.seed}/exchange/inbox-rules/${user.id}`);
    const count = prng.next() < 0.6 ? prng.int(0, 1) : prng.int(1, 3);
    const rules: InboxRuleSpec[] = [];
    for (let i = 0; i < count; i++) {
      const base: InboxRuleSpec = {
        ruleIdentity: ruleIdentity(prng), name: '', enabled: true, priority: i + 1, forwardTo: null, redirectTo: null, forwardAsAttachmentTo: null,
        moveToFolder: null, markAsRead: false, deleteMessage: false, from: null, subjectContainsWords: null, stopProcessingRules: false,
      };
      const kind = prng.next();
      if (kind < 0.05) {
        const address = `${user.surname.toLowerCase().replace(/[^a-z]/g, '')}${prng.int(1, 99)}@${prng.pick(EXTERNAL_MAIL_DOMAINS)}`;
        rules.push({ ...base, name: prng.pick(['Forward to home', 'Copy to personal', 'fwd']), forwardTo: [`"${address}" [SMTP:${address}]`] });
      } else if (kind < 0.55) {
        const sender = prng.pick(NEWSLETTER_SENDERS);
        rules.push({ ...base, name: 'Newsletters', from: [`"${sender}" [SMTP:${sender}]`], moveToFolder: `${aliasOf(user)}:\\Inbox\\Newsletters`, stopProcessingRules: true });
      } else if (kind < 0.8) {
        rules.push({ ...base, name: 'Invoices', subjectContainsWords: ['invoice', 'factuur'], moveToFolder: `${aliasOf(user)}:\\Inbox\\Finance` });
      } else {
        rules.push({ ...base, name: 'Mark notifications read', subjectContainsWords: ['[Notification]'], markAsRead: true });
      }
    }
    return rules.filter((r) => !this.removedInboxRules.has(`${user.id}|${r.ruleIdentity}`));
  }

  /** Mailboxes in directory order; optionally only those forwarding somewhere. */
  mailboxUsers(): readonly GraphUser[] {
    return this.tenant.users;
  }

  // ---- writes ----

  /**
   * Set-Mailbox's forwarding parameters (https://learn.microsoft.com/powershell/module/exchange/set-mailbox):
   * ForwardingSmtpAddress and ForwardingAddress accept $null to clear them; DeliverToMailboxAndForward is a boolean.
   */
  setMailbox(user: GraphUser, changes: Partial<Pick<MailboxSpec, 'forwardingAddress' | 'forwardingSmtpAddress' | 'deliverToMailboxAndForward'>>, nowMs: number): MailboxSpec {
    this.mailboxOverrides.set(user.id, { ...this.mailboxOverrides.get(user.id), ...changes, changedMs: nowMs });
    return this.mailbox(user);
  }

  /** Remove-InboxRule (https://learn.microsoft.com/powershell/module/exchange/remove-inboxrule): the rule is gone from Get-InboxRule. */
  removeInboxRule(user: GraphUser, ruleIdentity: string): boolean {
    if (!this.inboxRules(user).some((r) => r.ruleIdentity === ruleIdentity)) return false;
    this.removedInboxRules.add(`${user.id}|${ruleIdentity}`);
    return true;
  }

  removeInboundConnector(identity: string): InboundConnectorSpec | undefined {
    const i = findIndexByIdentity(this.inboundConnectors, identity);
    if (i < 0) return undefined;
    return this.inboundConnectors.splice(i, 1)[0];
  }

  removeTransportRule(identity: string): TransportRuleSpec | undefined {
    const i = findIndexByIdentity(this.transportRules, identity);
    if (i < 0) return undefined;
    const [removed] = this.transportRules.splice(i, 1);
    // Exchange renumbers priorities so they stay 0..n-1.
    this.transportRules.forEach((r, index) => { r.priority = index; });
    return removed;
  }

  findTransportRule(identity: string): TransportRuleSpec | undefined {
    const i = findIndexByIdentity(this.transportRules, identity);
    return i < 0 ? undefined : this.transportRules[i];
  }

  findInboundConnector(identity: string): InboundConnectorSpec | undefined {
    const i = findIndexByIdentity(this.inboundConnectors, identity);
    return i < 0 ? undefined : this.inboundConnectors[i];
  }

  /** A management role assigned to an app, by its name or Guid (Get-/Remove-ManagementRoleAssignment -Identity). */
  findAppRoleAssignment(identity: string): AppRoleAssignmentSpec | undefined {
    const i = findIndexByIdentity(this.appRoleAssignments, identity);
    return i < 0 ? undefined : this.appRoleAssignments[i];
  }

  /**
   * Remove-ManagementRoleAssignment (https://learn.microsoft.com/powershell/module/exchange/remove-managementroleassignment):
   * the assignment is gone from Get-ManagementRoleAssignment; the app's Exchange service principal stays registered.
   */
  removeAppRoleAssignment(identity: string): AppRoleAssignmentSpec | undefined {
    const i = findIndexByIdentity(this.appRoleAssignments, identity);
    return i < 0 ? undefined : this.appRoleAssignments.splice(i, 1)[0];
  }

  /**
   * The account Set-MailboxAuditBypassAssociation -Identity names: a mailbox user by user principal name, alias, mail,
   * object id or mailbox Guid, or a service account by name or Guid. `key` is where its exemption is kept.
   */
  findAuditBypass(identity: string): { key: string; name: string; enabled: boolean } | undefined {
    const wanted = identity.trim().toLowerCase();
    const service = this.serviceAccounts.find((a) => a.name.toLowerCase() === wanted || a.guid === wanted);
    if (service) return { key: service.name, name: service.name, enabled: service.enabled };
    const user = this.findUser(wanted) ?? this.tenant.users.find((u) => this.auditBypass.get(u.id)?.guid === wanted || this.mailbox(u).guid === wanted);
    if (!user) return undefined;
    const set = this.auditBypass.get(user.id);
    return { key: user.id, name: set?.name ?? this.mailbox(user).name, enabled: set?.enabled ?? false };
  }

  /** Set-MailboxAuditBypassAssociation -AuditBypassEnabled: Get-MailboxAuditBypassAssociation then shows the value and when it changed. */
  setAuditBypass(account: { key: string }, enabled: boolean, nowMs: number): void {
    const set = this.auditBypass.get(account.key);
    if (set) {
      set.enabled = enabled;
      set.changedMs = nowMs;
      return;
    }
    const user = this.tenant.users.find((u) => u.id === account.key);
    if (!user) throw new Error(`No account ${account.key} to exempt from mailbox auditing`);
    const m = this.mailbox(user);
    this.auditBypass.set(user.id, { guid: m.guid, name: m.name, enabled, createdMs: m.createdMs, changedMs: nowMs });
  }

  /** The audit-log part of the ground truth, without the mailbox scan (cheap: what the log generator needs). */
  auditTruth(): { maliciousAuditRecordIds: string[]; decoyObjectNames: string[] } {
    return {
      maliciousAuditRecordIds: [...this.maliciousRecordIds],
      decoyObjectNames: [...this.decoyConnectors.map((c) => c.name), ...this.decoyRules.map((r) => r.name)],
    };
  }

  /** One pass over every mailbox (seconds at 100,000 users), done once: mailboxes and inbox rules never change. */
  private mailboxScan(): { forwardingMailboxes: string[]; forwardingRules: string[]; inboxRuleCount: number } {
    if (this.scanned) return this.scanned;
    const forwardingMailboxes: string[] = [];
    const forwardingRules: string[] = [];
    let inboxRuleCount = 0;
    for (const user of this.tenant.users) {
      if (this.forwarding(user).forwardingSmtpAddress) forwardingMailboxes.push(user.userPrincipalName);
      for (const rule of this.inboxRules(user)) {
        inboxRuleCount++;
        if (rule.forwardTo || rule.redirectTo || rule.forwardAsAttachmentTo) forwardingRules.push(`${aliasOf(user)}\\${rule.ruleIdentity}`);
      }
    }
    this.scanned = { forwardingMailboxes, forwardingRules, inboxRuleCount };
    return this.scanned;
  }

  /**
   * Mailbox audit bypass. Decoy: the archiving service's account, exempted by an admin when the service was set up
   * long ago, as Microsoft suggests for trusted accounts that open mailboxes all day
   * (https://learn.microsoft.com/powershell/module/exchange/set-mailboxauditbypassassociation). The attack: the app
   * exempts the first taken admin at its first Exchange set-up (its mailbox access leaves no mailbox audit records);
   * where the attacker cleaned up (fabrikam) it puts it back when it removes the last set-up.
   */
  private buildAuditConfiguration(): void {
    const prng = this.stream('audit-configuration');
    this.organizationConfig.guid = prng.guid();
    this.organizationConfig.createdMs = Date.parse(this.tenant.organization.createdDateTime);
    this.organizationConfig.changedMs = this.refMs - prng.int(20, 200) * DAY;
    const archive = this.tenant.decoys.find((d) => d.kind === 'vendor-archive-service-principal');
    if (archive) {
      const setUp = Date.parse(archive.createdDateTime) + prng.int(1, 3) * DAY;
      const name = `svc-${archive.displayName.split(' ')[0]!.toLowerCase()}-archive`;
      const spec: AuditBypassSpec = { guid: prng.guid(), name, enabled: true, createdMs: setUp, changedMs: setUp + prng.int(5, 60) * MINUTE };
      this.serviceAccounts.push(spec);
      this.auditBypass.set(name, spec);
      this.decoyBypass.push({ name, reason: `${archive.displayName}'s journaling account, exempted from mailbox auditing by an admin when the service was set up` });
      this.record(prng, spec.changedMs, 'Set-MailboxAuditBypassAssociation', name, { Identity: name, AuditBypassEnabled: 'True' }, this.adminActor(prng));
    }
    const attack = this.tenant.attack;
    const first = attack.exchange.cycles[0];
    const admin = this.tenant.users.find((u) => u.id === attack.compromisedAdmins[0]?.userId);
    if (!first || !admin) return;
    const sp = this.tenant.servicePrincipals.find((s) => s.id === attack.maliciousServicePrincipalId);
    const actor: AdminActor = { kind: 'app', userId: attack.maliciousServicePrincipalId, userKey: attack.maliciousAppId, appId: sp?.appId ?? attack.maliciousAppId, clientIp: this.attackerMailIps[0] ?? null };
    const mailbox = this.mailbox(admin);
    const at = Date.parse(first.createdDateTime) - prng.int(1, 4) * MINUTE;
    const spec: AuditBypassSpec = { guid: mailbox.guid, name: mailbox.name, enabled: true, createdMs: mailbox.createdMs, changedMs: at };
    this.auditBypass.set(admin.id, spec);
    this.maliciousRecordIds.push(this.record(prng, at, 'Set-MailboxAuditBypassAssociation', mailbox.name, { Identity: mailbox.name, AuditBypassEnabled: 'True' }, actor).Identity);
    const last = attack.exchange.cycles[attack.exchange.cycles.length - 1]!;
    if (!this.attackLive && last.removedDateTime !== null) {
      const back = Date.parse(last.removedDateTime) + prng.int(1, 4) * MINUTE;
      spec.enabled = false;
      spec.changedMs = back;
      this.maliciousRecordIds.push(this.record(prng, back, 'Set-MailboxAuditBypassAssociation', mailbox.name, { Identity: mailbox.name, AuditBypassEnabled: 'False' }, actor).Identity);
    }
  }

  /**
   * Exchange RBAC for applications (https://learn.microsoft.com/exchange/permissions-exo/application-rbac): an app is
   * registered in Exchange with New-ServicePrincipal and given a management role with New-ManagementRoleAssignment -App,
   * a second way to mail powers beside Exchange.ManageAsApp. Decoy: the archiving service, registered long ago with
   * "Application Mail.Read" scoped to the archived mailboxes. The attack: the campaign's app registers itself and takes
   * "Application Mail.Send" at its first Exchange set-up; where it cleaned up (fabrikam) it removes both again.
   */
  private buildAppRbac(): void {
    const prng = this.stream('app-rbac');
    const archive = this.tenant.decoys.find((d) => d.kind === 'vendor-archive-service-principal');
    if (archive) {
      const at = Date.parse(archive.createdDateTime) + prng.int(1, 5) * DAY;
      const sp: ExchangeServicePrincipalSpec = { guid: prng.guid(), appId: archive.appId, objectId: archive.servicePrincipalId, displayName: archive.displayName, createdMs: at };
      const assignment: AppRoleAssignmentSpec = {
        guid: prng.guid(), name: `Application Mail.Read-${sp.guid.slice(0, 8)}`, role: 'Application Mail.Read', assignee: sp.guid, assigneeName: sp.displayName,
        customResourceScope: 'Archived mailboxes', createdMs: at + prng.int(1, 10) * MINUTE,
      };
      this.exchangeServicePrincipals.push(sp);
      this.appRoleAssignments.push(assignment);
      const admin = this.adminActor(prng);
      this.record(prng, sp.createdMs, 'New-ServicePrincipal', sp.displayName, { AppId: sp.appId, ObjectId: sp.objectId, DisplayName: sp.displayName }, admin);
      this.record(prng, assignment.createdMs, 'New-ManagementRoleAssignment', assignment.name, { App: sp.objectId, Role: assignment.role, CustomResourceScope: 'Archived mailboxes' }, admin);
      this.decoyRbac.push({ appIds: [sp.appId], roleAssignmentNames: [assignment.name], reason: `${archive.displayName} reads archived mailboxes through Exchange RBAC for applications, set up by an admin long ago` });
    }
    const attack = this.tenant.attack;
    const first = attack.exchange.cycles[0];
    if (!first) return;
    const app = this.tenant.servicePrincipals.find((s) => s.id === attack.maliciousServicePrincipalId);
    const actor: AdminActor = { kind: 'app', userId: attack.maliciousServicePrincipalId, userKey: attack.maliciousAppId, appId: app?.appId ?? attack.maliciousAppId, clientIp: this.attackerMailIps[0] ?? null };
    const at = Date.parse(first.createdDateTime) - prng.int(5, 15) * MINUTE;
    const sp: ExchangeServicePrincipalSpec = { guid: prng.guid(), appId: attack.maliciousAppId, objectId: attack.maliciousServicePrincipalId, displayName: attack.maliciousDisplayName, createdMs: at };
    const assignment: AppRoleAssignmentSpec = {
      guid: prng.guid(), name: `Application Mail.Send-${sp.guid.slice(0, 8)}`, role: 'Application Mail.Send', assignee: sp.guid, assigneeName: sp.displayName,
      customResourceScope: null, createdMs: at + prng.int(20, 90) * 1000,
    };
    const rec = (ms: number, op: string, objectId: string, params: Record<string, string>) => this.maliciousRecordIds.push(this.record(prng, ms, op, objectId, params, actor).Identity);
    rec(sp.createdMs, 'New-ServicePrincipal', sp.displayName, { AppId: sp.appId, ObjectId: sp.objectId, DisplayName: sp.displayName });
    rec(assignment.createdMs, 'New-ManagementRoleAssignment', assignment.name, { App: sp.objectId, Role: assignment.role });
    const last = attack.exchange.cycles[attack.exchange.cycles.length - 1]!;
    if (!this.attackLive && last.removedDateTime !== null) {
      const gone = Date.parse(last.removedDateTime) + prng.int(5, 9) * MINUTE;
      rec(gone, 'Remove-ManagementRoleAssignment', assignment.name, { Identity: assignment.name });
      rec(gone + prng.int(5, 40) * 1000, 'Remove-ServicePrincipal', sp.displayName, { Identity: sp.objectId });
      return;
    }
    this.exchangeServicePrincipals.push(sp);
    this.appRoleAssignments.push(assignment);
    this.maliciousRbac.appIds.push(sp.appId);
    this.maliciousRbac.roleAssignmentNames.push(assignment.name);
  }

  /** Get-MailboxAuditBypassAssociation's rows: every mailbox user, then the service accounts. */
  auditBypassRows(): (AuditBypassSpec & { userPrincipalName: string | null })[] {
    return [
      ...this.tenant.users.map((user) => {
        const set = this.auditBypass.get(user.id);
        if (set) return { ...set, userPrincipalName: user.userPrincipalName };
        const m = this.mailbox(user);
        return { guid: m.guid, name: m.name, enabled: false, createdMs: m.createdMs, changedMs: m.changedMs, userPrincipalName: user.userPrincipalName };
      }),
      ...this.serviceAccounts.map((s) => ({ ...s, userPrincipalName: null })),
    ];
  }

  groundTruth(): ExchangeGroundTruth {
    const live = this.cycles.filter((c) => c.removedMs === null);
    const liveConnectorGuids = new Set(live.map((c) => c.connectorGuid));
    const liveRuleGuids = new Set(live.flatMap((c) => c.ruleGuids));
    const { forwardingMailboxes, forwardingRules, inboxRuleCount } = this.mailboxScan();
    return {
      attackLive: this.attackLive,
      attackerMailIps: [...this.attackerMailIps],
      maliciousInboundConnectors: this.inboundConnectors.filter((c) => liveConnectorGuids.has(c.guid)).map((c) => ({ guid: c.guid, name: c.name })),
      maliciousTransportRules: this.transportRules.filter((r) => liveRuleGuids.has(r.guid)).map((r) => ({ guid: r.guid, name: r.name, removeHeader: String(r.parameters.RemoveHeader) })),
      cycles: this.cycles.map((c) => ({ connectorName: c.connectorName, connectorGuid: c.connectorGuid, createdDateTime: iso(c.createdMs), removedDateTime: c.removedMs === null ? null : iso(c.removedMs) })),
      maliciousAuditRecordIds: [...this.maliciousRecordIds],
      decoyInboundConnectors: [...this.decoyConnectors],
      decoyTransportRules: [...this.decoyRules],
      externalForwarding: { mailboxes: forwardingMailboxes, inboxRules: forwardingRules },
      auditBypass: {
        count: this.tenant.users.length + this.serviceAccounts.length,
        malicious: [...this.auditBypass.entries()].filter(([key, b]) => b.enabled && this.tenant.users.some((u) => u.id === key)).map(([, b]) => b.name),
        decoys: [...this.decoyBypass],
      },
      appRbac: {
        servicePrincipals: this.exchangeServicePrincipals.length,
        roleAssignments: this.appRoleAssignments.length,
        malicious: { appIds: [...this.maliciousRbac.appIds], roleAssignmentNames: [...this.maliciousRbac.roleAssignmentNames] },
        decoys: this.decoyRbac.map((d) => ({ ...d })),
      },
      counts: {
        inboundConnectors: this.inboundConnectors.length, outboundConnectors: this.outboundConnectors.length, transportRules: this.transportRules.length,
        mailboxes: this.tenant.users.length, inboxRules: inboxRuleCount, adminAuditRecords: this.history.length,
      },
    };
  }
}

/** Cmdlets take an object's name, its Guid or its distinguished name as Identity. */
function findIndexByIdentity(items: readonly { guid: string; name: string }[], identity: string): number {
  const wanted = identity.trim().toLowerCase();
  return items.findIndex((x) => x.name.toLowerCase() === wanted || x.guid === wanted);
}

/** Exchange's alias: the UPN's local part. */
export function aliasOf(user: GraphUser): string {
  return user.userPrincipalName.split('@')[0] ?? user.userPrincipalName;
}

/** A user's PUID-like key as UAL prints it (16 hex digits). */
export function puid(userId: string): string {
  let h = 0x811c9dc5;
  let g = 0x01000193;
  for (let i = 0; i < userId.length; i++) {
    h = Math.imul(h ^ userId.charCodeAt(i), 16777619) >>> 0;
    g = Math.imul(g + userId.charCodeAt(i), 2654435761) >>> 0;
  }
  return `1003${(h >>> 0).toString(16).padStart(8, '0')}${(g >>> 16).toString(16).padStart(4, '0')}`.toUpperCase();
}

/** ExchangeAdmin history of a tenant, for LOGS to merge into its Unified Audit Log stream. */
export function exchangeAdminHistory(tenant: Tenant): UnifiedAuditRow[] {
  return new ExchangeState(tenant).history;
}
