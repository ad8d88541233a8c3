// Shared by main, preload and renderer: the kinds of collected object the Evidence screens list. No imports, so the
// renderer can use the values without pulling in zod.

/** Every kind with a generic evidence screen, in the order the navigation lists them. Applications have their own screen. */
export const EVIDENCE_KINDS = [
  'servicePrincipal',
  'user',
  'directoryRole',
  'roleAssignment',
  'appRoleAssignment',
  'oauth2PermissionGrant',
  'conditionalAccessPolicy',
  'securityDefaults',
  'inboundConnector',
  'outboundConnector',
  'transportRule',
  'mailbox',
  'inboxRule',
] as const;
export type EvidenceKind = (typeof EVIDENCE_KINDS)[number];

/** Kinds whose single objects can be opened (raw record, history): the listed ones, applications and MFA registrations. */
export const OBJECT_KINDS = [...EVIDENCE_KINDS, 'application', 'userRegistrationDetails'] as const;
export type ObjectKindId = (typeof OBJECT_KINDS)[number];

/** How a column's values read: the renderer formats times in the display zone and booleans as words. */
export type EvidenceColumnType = 'text' | 'id' | 'time' | 'bool' | 'number' | 'list';
