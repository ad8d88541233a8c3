// Test tooling (Node): Exchange Online objects (connectors, transport rules, mailboxes, inbox rules) in the shapes the REST cmdlets return them.
// Property names and order follow real Get-TransportRule / Get-InboundConnector output (ScubaGear's published dumps); the simulator fills them.

import { createHash } from 'node:crypto';

/** Every property Get-TransportRule returns, in the order it returns them (200 in Exchange Online today). */
export const TRANSPORT_RULE_KEYS = ['Priority', 'DlpPolicy', 'DlpPolicyId', 'Comments', 'CreatedBy', 'LastModifiedBy', 'ManuallyModified',
  'ActivationDate', 'ExpiryDate', 'Description', 'RuleVersion', 'Size', 'Conditions', 'Exceptions', 'Actions', 'State', 'Mode',
  'IsRuleConfigurationSupported', 'RuleConfigurationUnsupportedReason', 'RuleErrorAction', 'SenderAddressLocation', 'RecipientAddressType',
  'RuleSubType', 'RegexSize', 'UseLegacyRegex', 'From', 'FromMemberOf', 'FromScope', 'SentTo', 'SentToMemberOf', 'SentToScope', 'BetweenMemberOf1',
  'BetweenMemberOf2', 'ManagerAddresses', 'ManagerForEvaluatedUser', 'SenderManagementRelationship', 'ADComparisonAttribute', 'ADComparisonOperator',
  'SenderADAttributeContainsWords', 'SenderADAttributeMatchesPatterns', 'RecipientADAttributeContainsWords', 'RecipientADAttributeMatchesPatterns',
  'AnyOfToHeader', 'AnyOfToHeaderMemberOf', 'AnyOfCcHeader', 'AnyOfCcHeaderMemberOf', 'AnyOfToCcHeader', 'AnyOfToCcHeaderMemberOf',
  'HasClassification', 'HasNoClassification', 'SubjectContainsWords', 'SubjectOrBodyContainsWords', 'HeaderContainsMessageHeader',
  'HeaderContainsWords', 'FromAddressContainsWords', 'SenderDomainIs', 'RecipientDomainIs', 'SubjectMatchesPatterns', 'SubjectOrBodyMatchesPatterns',
  'HeaderMatchesMessageHeader', 'HeaderMatchesPatterns', 'FromAddressMatchesPatterns', 'AttachmentNameMatchesPatterns',
  'AttachmentExtensionMatchesWords', 'AttachmentPropertyContainsWords', 'ContentCharacterSetContainsWords', 'HasSenderOverride',
  'MessageContainsDataClassifications', 'MessageContainsAllDataClassifications', 'SenderIpRanges', 'SCLOver', 'AttachmentSizeOver', 'MessageSizeOver',
  'WithImportance', 'MessageTypeMatches', 'ContentMatchesPrompt', 'ContentMatchesPromptVerdict', 'RecipientAddressContainsWords',
  'RecipientAddressMatchesPatterns', 'SenderInRecipientList', 'RecipientInSenderList', 'AttachmentContainsWords', 'AttachmentMatchesPatterns',
  'AttachmentIsUnsupported', 'AttachmentProcessingLimitExceeded', 'AttachmentHasExecutableContent', 'AttachmentIsPasswordProtected',
  'AnyOfRecipientAddressContainsWords', 'AnyOfRecipientAddressMatchesPatterns', 'ExceptIfFrom', 'ExceptIfFromMemberOf', 'ExceptIfFromScope',
  'ExceptIfSentTo', 'ExceptIfSentToMemberOf', 'ExceptIfSentToScope', 'ExceptIfBetweenMemberOf1', 'ExceptIfBetweenMemberOf2',
  'ExceptIfManagerAddresses', 'ExceptIfManagerForEvaluatedUser', 'ExceptIfSenderManagementRelationship', 'ExceptIfADComparisonAttribute',
  'ExceptIfADComparisonOperator', 'ExceptIfSenderADAttributeContainsWords', 'ExceptIfSenderADAttributeMatchesPatterns',
  'ExceptIfRecipientADAttributeContainsWords', 'ExceptIfRecipientADAttributeMatchesPatterns', 'ExceptIfAnyOfToHeader',
  'ExceptIfAnyOfToHeaderMemberOf', 'ExceptIfAnyOfCcHeader', 'ExceptIfAnyOfCcHeaderMemberOf', 'ExceptIfAnyOfToCcHeader',
  'ExceptIfAnyOfToCcHeaderMemberOf', 'ExceptIfHasClassification', 'ExceptIfHasNoClassification', 'ExceptIfSubjectContainsWords',
  'ExceptIfSubjectOrBodyContainsWords', 'ExceptIfHeaderContainsMessageHeader', 'ExceptIfHeaderContainsWords', 'ExceptIfFromAddressContainsWords',
  'ExceptIfSenderDomainIs', 'ExceptIfRecipientDomainIs', 'ExceptIfSubjectMatchesPatterns', 'ExceptIfSubjectOrBodyMatchesPatterns',
  'ExceptIfHeaderMatchesMessageHeader', 'ExceptIfHeaderMatchesPatterns', 'ExceptIfFromAddressMatchesPatterns',
  'ExceptIfAttachmentNameMatchesPatterns', 'ExceptIfAttachmentExtensionMatchesWords', 'ExceptIfAttachmentPropertyContainsWords',
  'ExceptIfContentCharacterSetContainsWords', 'ExceptIfSCLOver', 'ExceptIfAttachmentSizeOver', 'ExceptIfMessageSizeOver', 'ExceptIfWithImportance',
  'ExceptIfMessageTypeMatches', 'ExceptIfContentMatchesPrompt', 'ExceptIfContentMatchesPromptVerdict', 'ExceptIfRecipientAddressContainsWords',
  'ExceptIfRecipientAddressMatchesPatterns', 'ExceptIfSenderInRecipientList', 'ExceptIfRecipientInSenderList', 'ExceptIfAttachmentContainsWords',
  'ExceptIfAttachmentMatchesPatterns', 'ExceptIfAttachmentIsUnsupported', 'ExceptIfAttachmentProcessingLimitExceeded',
  'ExceptIfAttachmentHasExecutableContent', 'ExceptIfAttachmentIsPasswordProtected', 'ExceptIfAnyOfRecipientAddressContainsWords',
  'ExceptIfAnyOfRecipientAddressMatchesPatterns', 'ExceptIfHasSenderOverride', 'ExceptIfMessageContainsDataClassifications',
  'ExceptIfMessageContainsAllDataClassifications', 'ExceptIfSenderIpRanges', 'PrependSubject', 'SetAuditSeverity', 'ApplyClassification',
  'ApplyHtmlDisclaimerLocation', 'ApplyHtmlDisclaimerText', 'ApplyHtmlDisclaimerFallbackAction', 'ApplyRightsProtectionTemplate',
  'ApplyRightsProtectionCustomizationTemplate', 'SetSCL', 'SetHeaderName', 'SetHeaderValue', 'RemoveHeader', 'AddToRecipients', 'CopyTo',
  'BlindCopyTo', 'AddManagerAsRecipientType', 'ModerateMessageByUser', 'ModerateMessageByManager', 'RedirectMessageTo',
  'RejectMessageEnhancedStatusCode', 'RejectMessageReasonText', 'DeleteMessage', 'Disconnect', 'Quarantine', 'SmtpRejectMessageRejectText',
  'SmtpRejectMessageRejectStatusCode', 'LogEventText', 'StopRuleProcessing', 'SenderNotificationType', 'GenerateIncidentReport',
  'IncidentReportContent', 'RouteMessageOutboundConnector', 'RouteMessageOutboundRequireTls', 'ApplyOME', 'RemoveOME', 'RemoveOMEv2',
  'RemoveRMSAttachmentEncryption', 'GenerateNotification', 'Identity', 'DistinguishedName', 'Guid', 'ImmutableId', 'OrganizationId', 'Name',
  'IsValid', 'WhenChanged', 'ObjectState'] as const;
/** Transport rule properties that are switches: false, never null, when not set. */
export const TRANSPORT_RULE_SWITCHES = ['ManuallyModified', 'UseLegacyRegex', 'HasNoClassification', 'HasSenderOverride', 'AttachmentIsUnsupported',
  'AttachmentProcessingLimitExceeded', 'AttachmentHasExecutableContent', 'AttachmentIsPasswordProtected', 'ExceptIfHasNoClassification',
  'ExceptIfAttachmentIsUnsupported', 'ExceptIfAttachmentProcessingLimitExceeded', 'ExceptIfAttachmentHasExecutableContent',
  'ExceptIfAttachmentIsPasswordProtected', 'ExceptIfHasSenderOverride', 'ModerateMessageByManager', 'DeleteMessage', 'Disconnect', 'Quarantine',
  'StopRuleProcessing', 'RouteMessageOutboundRequireTls', 'ApplyOME', 'RemoveOME', 'RemoveOMEv2', 'RemoveRMSAttachmentEncryption'] as const;
/** Every property Get-InboundConnector returns, in order. */
export const INBOUND_CONNECTOR_KEYS = ['Enabled', 'ConnectorType', 'ConnectorSource', 'Comment', 'SenderIPAddresses', 'SenderDomains',
  'TrustedOrganizations', 'ClientHostNames', 'AssociatedAcceptedDomains', 'RequireTls', 'RestrictDomainsToIPAddresses',
  'RestrictDomainsToCertificate', 'CloudServicesMailEnabled', 'TreatMessagesAsInternal', 'TlsSenderCertificateName', 'EFTestMode',
  'ScanAndDropRecipients', 'EFSkipLastIP', 'EFSkipIPs', 'EFSkipMailGateway', 'EFUsers', 'NameHashGuid', 'OrganizationalUnitRootInternal',
  'AdminDisplayName', 'ExchangeVersion', 'Name', 'DistinguishedName', 'Identity', 'ObjectCategory', 'ObjectClass', 'WhenChanged', 'WhenCreated',
  'WhenChangedUTC', 'WhenCreatedUTC', 'ExchangeObjectId', 'OrganizationalUnitRoot', 'OrganizationId', 'Id', 'Guid', 'OriginatingServer', 'IsValid',
  'ObjectState'] as const;

/** Where the tenant's Exchange objects live: Exchange puts the forest and a server name in several properties. */
export interface ExchangeOrg {
  /** `<label>.onmicrosoft.com`. */
  domain: string;
  /** Forest partition, e.g. `NAMPR09A006`. */
  partition: string;
  /** Domain controller that answered, e.g. `BY1PR09A06DC005.NAMPR09A006.PROD.OUTLOOK.COM`. */
  originatingServer: string;
}

export interface InboundConnectorSpec {
  guid: string;
  name: string;
  enabled: boolean;
  connectorType: 'Partner' | 'OnPremises';
  /** AdminUI when made in the admin center, Default when made with New-InboundConnector, HybridWizard for hybrid. */
  connectorSource: 'AdminUI' | 'Default' | 'HybridWizard';
  comment: string;
  senderIpAddresses: string[];
  senderDomains: string[];
  requireTls: boolean;
  restrictDomainsToIpAddresses: boolean;
  tlsSenderCertificateName: string | null;
  createdMs: number;
  changedMs: number;
}

export interface OutboundConnectorSpec {
  guid: string;
  name: string;
  enabled: boolean;
  connectorType: 'Partner' | 'OnPremises';
  connectorSource: 'AdminUI' | 'Default' | 'HybridWizard';
  comment: string;
  recipientDomains: string[];
  smartHosts: string[];
  useMxRecord: boolean;
  tlsSettings: 'EncryptionOnly' | 'CertificateValidation' | 'DomainValidation' | null;
  tlsDomain: string | null;
  isTransportRuleScoped: boolean;
  routeAllMessagesViaOnPremises: boolean;
  createdMs: number;
  changedMs: number;
}

export interface TransportRuleSpec {
  guid: string;
  name: string;
  priority: number;
  state: 'Enabled' | 'Disabled';
  mode: 'Enforce' | 'Audit' | 'AuditAndNotify';
  createdBy: string;
  lastModifiedBy: string;
  comments: string | null;
  /** Condition predicate class names (short form, e.g. `FromScopePredicate`); empty means every message. */
  conditions: string[];
  /** Action class names (short form, e.g. `RemoveHeaderAction`). */
  actions: string[];
  /** Human-readable lines under "If the message:" and "Take the following actions:". */
  conditionText: string[];
  actionText: string[];
  /** Values of the parameter-named properties this rule sets (FromScope, RemoveHeader, ApplyHtmlDisclaimerText...). */
  parameters: Record<string, string | number | boolean | string[] | null>;
  changedMs: number;
}

export interface MailboxSpec {
  guid: string;
  exchangeGuid: string;
  userId: string;
  name: string;
  alias: string;
  displayName: string;
  userPrincipalName: string;
  primarySmtpAddress: string;
  recipientTypeDetails: 'UserMailbox' | 'SharedMailbox';
  /** Internal forwarding target (a recipient's name), or null. */
  forwardingAddress: string | null;
  /** `smtp:address` set by the user or admin, possibly external, or null. */
  forwardingSmtpAddress: string | null;
  deliverToMailboxAndForward: boolean;
  createdMs: number;
  changedMs: number;
}

export interface InboxRuleSpec {
  /** 64-bit rule id as Exchange prints it (decimal). */
  ruleIdentity: string;
  name: string;
  enabled: boolean;
  priority: number;
  /** Recipients as Exchange formats them: `"Name" [SMTP:address]`. */
  forwardTo: string[] | null;
  redirectTo: string[] | null;
  forwardAsAttachmentTo: string[] | null;
  moveToFolder: string | null;
  markAsRead: boolean;
  deleteMessage: boolean;
  from: string[] | null;
  subjectContainsWords: string[] | null;
  stopProcessingRules: boolean;
}

/** Exchange's REST cmdlets write UTC times as ISO 8601 (PowerShell's ConvertTo-Json later turns them into `/Date(ms)/`). */
export function exoDate(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Exchange derives NameHashGuid from the object's name; any stable name hash in GUID layout serves here. */
function nameHashGuid(name: string): string {
  const h = createHash('md5').update(name.toLowerCase()).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

const RULES_NAMESPACE = 'Microsoft.Exchange.MessagingPolicies.Rules.Tasks.';

function orgId(org: ExchangeOrg): string {
  const forest = `${org.partition}.PROD.OUTLOOK.COM`;
  return `${forest}/Microsoft Exchange Hosted Organizations/${org.domain} - ${forest}/ConfigurationUnits/${org.domain}/Configuration`;
}

function dn(org: ExchangeOrg, leaf: string, container: string): string {
  const escaped = leaf.replace(/[,\\"]/g, (c) => `\\${c}`);
  return `CN=${escaped},${container},CN=Transport Settings,CN=Configuration,CN=${org.domain},CN=ConfigurationUnits,DC=${org.partition},DC=PROD,DC=OUTLOOK,DC=COM`;
}

function configurationCommon(org: ExchangeOrg, guid: string, name: string, distinguishedName: string, objectClass: string, createdMs: number, changedMs: number): Record<string, unknown> {
  return {
    AdminDisplayName: '',
    ExchangeVersion: '0.1 (8.0.535.0)',
    Name: name,
    DistinguishedName: distinguishedName,
    Identity: name,
    ObjectCategory: `${org.partition}.PROD.OUTLOOK.COM/Configuration/Schema/ms-Exch-${objectClass}`,
    ObjectClass: ['top', `msExch${objectClass.replace(/-/g, '')}`],
    WhenChanged: exoDate(changedMs),
    WhenCreated: exoDate(createdMs),
    WhenChangedUTC: exoDate(changedMs),
    WhenCreatedUTC: exoDate(createdMs),
    ExchangeObjectId: guid,
    OrganizationalUnitRoot: org.domain,
    OrganizationId: orgId(org),
    Id: name,
    Guid: guid,
    OriginatingServer: org.originatingServer,
    IsValid: true,
    ObjectState: 'Unchanged',
  };
}

export function inboundConnectorObject(spec: InboundConnectorSpec, org: ExchangeOrg): Record<string, unknown> {
  const values: Record<string, unknown> = {
    Enabled: spec.enabled,
    ConnectorType: spec.connectorType,
    ConnectorSource: spec.connectorSource,
    Comment: spec.comment,
    SenderIPAddresses: spec.senderIpAddresses,
    SenderDomains: spec.senderDomains.map((d) => `smtp:${d};1`),
    TrustedOrganizations: [],
    ClientHostNames: [],
    AssociatedAcceptedDomains: [],
    RequireTls: spec.requireTls,
    RestrictDomainsToIPAddresses: spec.restrictDomainsToIpAddresses,
    RestrictDomainsToCertificate: false,
    CloudServicesMailEnabled: spec.connectorType === 'OnPremises' && spec.connectorSource === 'HybridWizard',
    TreatMessagesAsInternal: false,
    TlsSenderCertificateName: spec.tlsSenderCertificateName,
    EFTestMode: false,
    ScanAndDropRecipients: [],
    EFSkipLastIP: false,
    EFSkipIPs: [],
    EFSkipMailGateway: [],
    EFUsers: [],
    NameHashGuid: nameHashGuid(spec.name),
    OrganizationalUnitRootInternal: org.domain,
    ...configurationCommon(org, spec.guid, spec.name, dn(org, spec.name, 'CN=Inbound Connectors'), 'SMTP-Inbound-Connector', spec.createdMs, spec.changedMs),
  };
  return ordered(INBOUND_CONNECTOR_KEYS, values);
}

/** Property order of Get-OutboundConnector (documented parameters, then the common configuration-object properties). */
export const OUTBOUND_CONNECTOR_KEYS = [
  'Enabled', 'UseMXRecord', 'Comment', 'ConnectorType', 'ConnectorSource', 'RecipientDomains', 'SmartHosts', 'TlsDomain', 'TlsSettings',
  'IsTransportRuleScoped', 'RouteAllMessagesViaOnPremises', 'CloudServicesMailEnabled', 'AllAcceptedDomains', 'SenderRewritingEnabled',
  'TestMode', 'LinkForModifiedConnector', 'ValidationRecipients', 'IsValidated', 'LastValidationTimestamp', 'OrganizationalUnitRootInternal',
  'AdminDisplayName', 'ExchangeVersion', 'Name', 'DistinguishedName', 'Identity', 'ObjectCategory', 'ObjectClass', 'WhenChanged', 'WhenCreated',
  'WhenChangedUTC', 'WhenCreatedUTC', 'ExchangeObjectId', 'OrganizationalUnitRoot', 'OrganizationId', 'Id', 'Guid', 'OriginatingServer',
  'IsValid', 'ObjectState',
] as const;

export function outboundConnectorObject(spec: OutboundConnectorSpec, org: ExchangeOrg): Record<string, unknown> {
  const values: Record<string, unknown> = {
    Enabled: spec.enabled,
    UseMXRecord: spec.useMxRecord,
    Comment: spec.comment,
    ConnectorType: spec.connectorType,
    ConnectorSource: spec.connectorSource,
    RecipientDomains: spec.recipientDomains,
    SmartHosts: spec.smartHosts,
    TlsDomain: spec.tlsDomain,
    TlsSettings: spec.tlsSettings,
    IsTransportRuleScoped: spec.isTransportRuleScoped,
    RouteAllMessagesViaOnPremises: spec.routeAllMessagesViaOnPremises,
    CloudServicesMailEnabled: spec.connectorSource === 'HybridWizard',
    AllAcceptedDomains: false,
    SenderRewritingEnabled: false,
    TestMode: false,
    LinkForModifiedConnector: '00000000-0000-0000-0000-000000000000',
    ValidationRecipients: [],
    IsValidated: true,
    LastValidationTimestamp: exoDate(spec.createdMs + 60_000),
    OrganizationalUnitRootInternal: org.domain,
    ...configurationCommon(org, spec.guid, spec.name, dn(org, spec.name, 'CN=Outbound Connectors'), 'SMTP-Outbound-Connector', spec.createdMs, spec.changedMs),
  };
  return ordered(OUTBOUND_CONNECTOR_KEYS, values);
}

export function transportRuleDescription(spec: Pick<TransportRuleSpec, 'conditionText' | 'actionText'>): string {
  const lines: string[] = [];
  if (spec.conditionText.length > 0) lines.push('If the message:', ...spec.conditionText.map((t) => `\t${t}`));
  lines.push('Take the following actions:', ...spec.actionText.map((t) => `\t${t}`));
  return lines.map((l) => `${l}\r\n`).join('');
}

export function transportRuleObject(spec: TransportRuleSpec, org: ExchangeOrg): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const key of TRANSPORT_RULE_KEYS) values[key] = null;
  for (const key of TRANSPORT_RULE_SWITCHES) values[key] = false;
  const description = transportRuleDescription(spec);
  Object.assign(values, {
    Priority: spec.priority,
    DlpPolicyId: '00000000-0000-0000-0000-000000000000',
    Comments: spec.comments,
    CreatedBy: spec.createdBy,
    LastModifiedBy: spec.lastModifiedBy,
    Description: description,
    RuleVersion: { Major: 14, Minor: 0, Build: 0, Revision: 0, MajorRevision: 0, MinorRevision: 0 },
    Size: 200 + description.length + JSON.stringify(spec.parameters).length,
    Conditions: spec.conditions.length > 0 ? spec.conditions.map((c) => RULES_NAMESPACE + c) : null,
    Actions: spec.actions.map((a) => RULES_NAMESPACE + a),
    State: spec.state,
    Mode: spec.mode,
    IsRuleConfigurationSupported: true,
    RuleConfigurationUnsupportedReason: '',
    RuleErrorAction: 'Ignore',
    SenderAddressLocation: 'Header',
    RecipientAddressType: 'Resolved',
    RuleSubType: 'None',
    RegexSize: 0,
    ...spec.parameters,
    Identity: spec.name,
    DistinguishedName: dn(org, spec.name, 'CN=TransportVersioned,CN=Rules'),
    Guid: spec.guid,
    ImmutableId: spec.guid,
    OrganizationId: orgId(org),
    Name: spec.name,
    IsValid: true,
    WhenChanged: exoDate(spec.changedMs),
    ObjectState: 'Unchanged',
  });
  return ordered(TRANSPORT_RULE_KEYS, values);
}

/** The Get-Mailbox properties the simulator serves (a real mailbox has ~250; these are the ones investigations read). */
export const MAILBOX_KEYS = [
  'Name', 'Alias', 'DisplayName', 'UserPrincipalName', 'PrimarySmtpAddress', 'WindowsEmailAddress', 'EmailAddresses', 'RecipientType',
  'RecipientTypeDetails', 'ForwardingAddress', 'ForwardingSmtpAddress', 'DeliverToMailboxAndForward', 'IsMailboxEnabled', 'AuditEnabled',
  'HiddenFromAddressListsEnabled', 'LitigationHoldEnabled', 'ExternalDirectoryObjectId', 'ExchangeGuid', 'ExchangeVersion', 'DistinguishedName',
  'Identity', 'Id', 'Guid', 'ExchangeObjectId', 'OrganizationId', 'WhenChanged', 'WhenCreated', 'WhenChangedUTC', 'WhenCreatedUTC', 'IsValid', 'ObjectState',
] as const;

export function mailboxObject(spec: MailboxSpec, org: ExchangeOrg): Record<string, unknown> {
  const dnValue = `CN=${spec.name},OU=${org.domain},OU=Microsoft Exchange Hosted Organizations,DC=${org.partition},DC=PROD,DC=OUTLOOK,DC=COM`;
  const values: Record<string, unknown> = {
    Name: spec.name,
    Alias: spec.alias,
    DisplayName: spec.displayName,
    UserPrincipalName: spec.userPrincipalName,
    PrimarySmtpAddress: spec.primarySmtpAddress,
    WindowsEmailAddress: spec.primarySmtpAddress,
    EmailAddresses: [`SMTP:${spec.primarySmtpAddress}`, `smtp:${spec.alias}@${org.domain}`].filter((v, i, a) => a.findIndex((x) => x.toLowerCase() === v.toLowerCase()) === i),
    RecipientType: 'UserMailbox',
    RecipientTypeDetails: spec.recipientTypeDetails,
    ForwardingAddress: spec.forwardingAddress,
    ForwardingSmtpAddress: spec.forwardingSmtpAddress,
    DeliverToMailboxAndForward: spec.deliverToMailboxAndForward,
    IsMailboxEnabled: true,
    AuditEnabled: true,
    HiddenFromAddressListsEnabled: spec.recipientTypeDetails === 'SharedMailbox',
    LitigationHoldEnabled: false,
    ExternalDirectoryObjectId: spec.userId,
    ExchangeGuid: spec.exchangeGuid,
    ExchangeVersion: '0.20 (15.0.0.0)',
    DistinguishedName: dnValue,
    Identity: spec.name,
    Id: spec.name,
    Guid: spec.guid,
    ExchangeObjectId: spec.guid,
    OrganizationId: orgId(org),
    WhenChanged: exoDate(spec.changedMs),
    WhenCreated: exoDate(spec.createdMs),
    WhenChangedUTC: exoDate(spec.changedMs),
    WhenCreatedUTC: exoDate(spec.createdMs),
    IsValid: true,
    ObjectState: 'Unchanged',
  };
  return ordered(MAILBOX_KEYS, values);
}

/** Get-InboxRule properties, in the order the cmdlet returns them (abridged to the ones that matter for forwarding and hiding mail). */
export const INBOX_RULE_KEYS = [
  'Description', 'Enabled', 'Identity', 'InError', 'ErrorType', 'Name', 'Priority', 'RuleIdentity', 'SupportedByTask', 'Legacy',
  'From', 'SubjectContainsWords', 'MoveToFolder', 'MarkAsRead', 'DeleteMessage', 'ForwardTo', 'ForwardAsAttachmentTo', 'RedirectTo',
  'StopProcessingRules', 'MailboxOwnerId', 'IsValid', 'ObjectState',
] as const;

export function inboxRuleObject(rule: InboxRuleSpec, mailbox: MailboxSpec): Record<string, unknown> {
  const conditions: string[] = [];
  if (rule.from) conditions.push(`\tIf the message:\r\n\t\tis received from '${rule.from.join("' or '")}'`);
  if (rule.subjectContainsWords) conditions.push(`\tIf the message:\r\n\t\tincludes '${rule.subjectContainsWords.join("' or '")}' in the subject`);
  const actions: string[] = [];
  if (rule.moveToFolder) actions.push(`\t\tmove the message to folder '${rule.moveToFolder.split(':\\').pop() ?? rule.moveToFolder}'`);
  if (rule.markAsRead) actions.push('\t\tmark the message as read');
  if (rule.deleteMessage) actions.push('\t\tdelete the message');
  if (rule.forwardTo) actions.push(`\t\tforward the message to '${rule.forwardTo.join("' and '")}'`);
  if (rule.forwardAsAttachmentTo) actions.push(`\t\tforward the message as an attachment to '${rule.forwardAsAttachmentTo.join("' and '")}'`);
  if (rule.redirectTo) actions.push(`\t\tredirect the message to '${rule.redirectTo.join("' and '")}'`);
  if (rule.stopProcessingRules) actions.push('\t\tstop processing more rules on this message');
  const description = `${conditions.join('\r\n')}${conditions.length ? '\r\n' : ''}Take the following actions:\r\n${actions.join('\r\n')}\r\n`;
  const values: Record<string, unknown> = {
    Description: description,
    Enabled: rule.enabled,
    Identity: `${mailbox.name}\\${rule.ruleIdentity}`,
    InError: false,
    ErrorType: 'None',
    Name: rule.name,
    Priority: rule.priority,
    RuleIdentity: rule.ruleIdentity,
    SupportedByTask: true,
    Legacy: false,
    From: rule.from,
    SubjectContainsWords: rule.subjectContainsWords,
    MoveToFolder: rule.moveToFolder,
    MarkAsRead: rule.markAsRead,
    DeleteMessage: rule.deleteMessage,
    ForwardTo: rule.forwardTo,
    ForwardAsAttachmentTo: rule.forwardAsAttachmentTo,
    RedirectTo: rule.redirectTo,
    StopProcessingRules: rule.stopProcessingRules,
    MailboxOwnerId: mailbox.name,
    IsValid: true,
    ObjectState: 'Unchanged',
  };
  return ordered(INBOX_RULE_KEYS, values);
}

/**
 * Get-AdminAuditLogConfig as Exchange Online returns it (https://learn.microsoft.com/powershell/module/exchange/get-adminauditlogconfig):
 * one organisation-wide object, "Admin Audit Log Settings". Only UnifiedAuditLogIngestionEnabled is changeable there.
 */
export function adminAuditLogConfigObject(config: { adminAuditLogEnabled: boolean; unifiedAuditLogIngestionEnabled: boolean; changedMs: number }, org: ExchangeOrg): Record<string, unknown> {
  const name = 'Admin Audit Log Settings';
  return {
    AdminAuditLogEnabled: config.adminAuditLogEnabled,
    LogLevel: 'None',
    TestCmdletLoggingEnabled: false,
    AdminAuditLogCmdlets: ['*'],
    AdminAuditLogParameters: ['*'],
    AdminAuditLogExcludedCmdlets: [],
    AdminAuditLogAgeLimit: '90.00:00:00',
    UnifiedAuditLogIngestionEnabled: config.unifiedAuditLogIngestionEnabled,
    ...configurationCommon(org, nameHashGuid(`${org.domain}/${name}`), name, `CN=${name},CN=Global Settings,CN=Configuration,CN=${org.domain},CN=ConfigurationUnits,DC=${org.partition},DC=PROD,DC=OUTLOOK,DC=COM`, 'Admin-Audit-Log-Config', config.changedMs, config.changedMs),
  };
}

/**
 * Get-OrganizationConfig's audit-related part (https://learn.microsoft.com/powershell/module/exchange/get-organizationconfig,
 * AuditDisabled: https://learn.microsoft.com/powershell/module/exchange/set-organizationconfig#-auditdisabled). The real
 * object has a few hundred properties; the simulator sends these and the common ones.
 */
export function organizationConfigObject(config: { auditDisabled: boolean; guid: string; createdMs: number; changedMs: number }, org: ExchangeOrg, displayName: string): Record<string, unknown> {
  const name = org.domain;
  return {
    DisplayName: displayName,
    AuditDisabled: config.auditDisabled,
    AutoEnableArchiveMailbox: false,
    DefaultAuthenticationPolicy: null,
    OAuth2ClientProfileEnabled: true,
    SmtpActionableMessagesEnabled: true,
    IsDehydrated: false,
    ...configurationCommon(org, config.guid, name, `CN=${name},CN=Microsoft Exchange,CN=Services,CN=Configuration,DC=${org.partition},DC=PROD,DC=OUTLOOK,DC=COM`, 'Organization-Container', config.createdMs, config.changedMs),
  };
}

/**
 * One row of Get-MailboxAuditBypassAssociation (https://learn.microsoft.com/powershell/module/exchange/get-mailboxauditbypassassociation):
 * the account's name and AuditBypassEnabled, with the directory object's common properties.
 */
export function auditBypassObject(row: { guid: string; name: string; enabled: boolean; createdMs: number; changedMs: number }, org: ExchangeOrg): Record<string, unknown> {
  return {
    AuditBypassEnabled: row.enabled,
    ...configurationCommon(org, row.guid, row.name, `CN=${row.name},OU=${org.domain},OU=Microsoft Exchange Hosted Organizations,DC=${org.partition},DC=PROD,DC=OUTLOOK,DC=COM`, 'Recipient', row.createdMs, row.changedMs),
  };
}

/**
 * Get-ServicePrincipal (https://learn.microsoft.com/powershell/module/exchange/get-serviceprincipal): the Entra app
 * (AppId) and service principal (ObjectId) Exchange holds a pointer for.
 */
export function exchangeServicePrincipalObject(sp: { guid: string; appId: string; objectId: string; displayName: string; createdMs: number }, org: ExchangeOrg): Record<string, unknown> {
  return {
    AppId: sp.appId,
    ObjectId: sp.objectId,
    DisplayName: sp.displayName,
    ServiceId: sp.objectId,
    ...configurationCommon(org, sp.guid, sp.objectId, `CN=${sp.objectId},OU=${org.domain},OU=Microsoft Exchange Hosted Organizations,DC=${org.partition},DC=PROD,DC=OUTLOOK,DC=COM`, 'Service-Principal', sp.createdMs, sp.createdMs),
  };
}

/**
 * Get-ManagementRoleAssignment -RoleAssigneeType ServicePrincipal
 * (https://learn.microsoft.com/powershell/module/exchange/get-managementroleassignment): a role assigned to an app.
 */
export function appRoleAssignmentObject(a: { guid: string; name: string; role: string; assignee: string; assigneeName: string; customResourceScope: string | null; createdMs: number }, org: ExchangeOrg): Record<string, unknown> {
  return {
    Role: a.role,
    RoleAssigneeType: 'ServicePrincipal',
    RoleAssignee: a.assignee,
    RoleAssigneeName: a.assigneeName,
    AssignmentMethod: 'Direct',
    EffectiveUserName: 'All Group Members',
    CustomResourceScope: a.customResourceScope,
    RecipientReadScope: 'Organization',
    ConfigReadScope: 'OrganizationConfig',
    RecipientWriteScope: a.customResourceScope ? 'CustomRecipientScope' : 'Organization',
    ConfigWriteScope: 'None',
    RecipientWriteScopeType: a.customResourceScope ? 'CustomRecipientScope' : 'Organization',
    Enabled: true,
    RoleAssignmentDelegationType: 'Regular',
    ...configurationCommon(org, a.guid, a.name, `CN=${a.name},CN=Role Assignments,CN=RBAC,CN=Configuration,CN=${org.domain},CN=ConfigurationUnits,DC=${org.partition},DC=PROD,DC=OUTLOOK,DC=COM`, 'Role-Assignment', a.createdMs, a.createdMs),
  };
}

/** Builds the object with exactly `keys`, in that order; a key missing from `values` is a bug in this module. */
function ordered(keys: readonly string[], values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    if (!(key in values)) throw new Error(`Exchange object property ${key} has no value`);
    out[key] = values[key];
  }
  return out;
}
