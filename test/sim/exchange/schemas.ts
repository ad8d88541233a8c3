// Test tooling (Node): zod schemas of Exchange Online REST cmdlet objects, checked against real ConvertTo-Json dumps and the simulator's output alike.
import { z } from 'zod';

/** Exchange REST output carries ISO 8601 times; ConvertTo-Json dumps of the same objects carry `/Date(ms)/`. Both mean one instant. */
export const exoDate = z.union([
  z.string().regex(/^\/Date\(-?\d+\)\/$/),
  z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?(Z|[+-]\d{2}:\d{2})$/),
]);

const guid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
const nullableStrings = z.array(z.string()).nullable();

export const transportRuleSchema = z.looseObject({
  Priority: z.number().int().min(0),
  DlpPolicyId: guid,
  Comments: z.string().nullable(),
  CreatedBy: z.string(),
  LastModifiedBy: z.string(),
  ManuallyModified: z.boolean(),
  Description: z.string(),
  RuleVersion: z.object({ Major: z.number(), Minor: z.number(), Build: z.number(), Revision: z.number(), MajorRevision: z.number(), MinorRevision: z.number() }),
  Size: z.number().int(),
  Conditions: nullableStrings,
  Exceptions: nullableStrings,
  Actions: nullableStrings,
  State: z.enum(['Enabled', 'Disabled']),
  Mode: z.enum(['Enforce', 'Audit', 'AuditAndNotify']),
  RuleErrorAction: z.string(),
  SenderAddressLocation: z.string(),
  FromScope: z.enum(['InOrganization', 'NotInOrganization']).nullable(),
  SentToScope: z.string().nullable(),
  PrependSubject: z.string().nullable(),
  ApplyHtmlDisclaimerText: z.string().nullable(),
  SetHeaderName: z.string().nullable(),
  SetHeaderValue: z.string().nullable(),
  RemoveHeader: z.string().nullable(),
  BlindCopyTo: nullableStrings,
  DeleteMessage: z.boolean(),
  StopRuleProcessing: z.boolean(),
  Identity: z.string(),
  DistinguishedName: z.string().startsWith('CN='),
  Guid: guid,
  ImmutableId: guid,
  OrganizationId: z.string(),
  Name: z.string(),
  IsValid: z.boolean(),
  WhenChanged: exoDate,
  ObjectState: z.string(),
});

export const inboundConnectorSchema = z.looseObject({
  Enabled: z.boolean(),
  ConnectorType: z.enum(['Partner', 'OnPremises']),
  ConnectorSource: z.enum(['Default', 'Migrated', 'HybridWizard', 'AdminUI']),
  Comment: z.string().nullable(),
  SenderIPAddresses: z.array(z.string()),
  SenderDomains: z.array(z.string().regex(/^smtp:.+;\d+$/)),
  TrustedOrganizations: z.array(z.string()),
  RequireTls: z.boolean(),
  RestrictDomainsToIPAddresses: z.boolean(),
  RestrictDomainsToCertificate: z.boolean(),
  TlsSenderCertificateName: z.string().nullable(),
  NameHashGuid: guid,
  Name: z.string(),
  DistinguishedName: z.string().startsWith('CN='),
  Identity: z.string(),
  ObjectClass: z.array(z.string()),
  WhenChanged: exoDate,
  WhenCreated: exoDate,
  WhenChangedUTC: exoDate,
  WhenCreatedUTC: exoDate,
  ExchangeObjectId: guid,
  Id: z.string(),
  Guid: guid,
  OriginatingServer: z.string(),
  IsValid: z.boolean(),
  ObjectState: z.string(),
});
