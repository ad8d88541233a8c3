// Main process / CLI / workers: every rule, in the order they run (the correlation last: it reads the others' findings).
import type { Rule } from '../types';
import { credentialAdded, exchangeManageAsApp, highRiskPermissions, privilegedServicePrincipal, riskyConsent, tenantLabelName } from './apps';
import { configurationCycles, externalForwarding, headerStrippingRules, suspiciousConnector } from './exchange';
import { credentialStuffing, mfaNotEnforced, passwordSpray, privilegedWithoutMfa } from './signins';
import { auditBypass, auditDisabled, authMethodChanged, exchangeRoleForApp, mailReadByApp, ownerAdded } from './persistence';
import { campaignStoryline } from './storyline';
import { appCredentialUnknownRange, tokenRefreshFromAttacker } from './app-signins';
import { deletedAndRecreated } from './deleted';

export const RULES: readonly Rule[] = [
  credentialStuffing,
  passwordSpray,
  privilegedWithoutMfa,
  mfaNotEnforced,
  tenantLabelName,
  exchangeManageAsApp,
  privilegedServicePrincipal,
  highRiskPermissions,
  credentialAdded,
  riskyConsent,
  suspiciousConnector,
  headerStrippingRules,
  configurationCycles,
  externalForwarding,
  authMethodChanged,
  ownerAdded,
  exchangeRoleForApp,
  auditDisabled,
  auditBypass,
  mailReadByApp,
  tokenRefreshFromAttacker,
  appCredentialUnknownRange,
  deletedAndRecreated,
  campaignStoryline,
];
