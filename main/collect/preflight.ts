// Main process / CLI: before collecting, what each source needs, whether the signed-in identity has it, and what will come back short and why.
import type { PreflightRow, PreflightView } from '../../preload/contract';
import type { GraphReader } from '../graph/reader';
import { EXCHANGE_LOG_SOURCES, EXCHANGE_SOURCES, GRAPH_SOURCES, LOG_SOURCES } from './sources';

/** The least privileged roles Graph lists for reading sign-ins, audits and registration details (Global Administrator works too). */
const REPORT_ROLES = ['Reports Reader', 'Security Reader', 'Security Operator', 'Security Administrator', 'Global Reader', 'Global Administrator'];

/**
 * What each Graph source needs, as Microsoft's Graph reference documents it for delegated access: `scopes` lists
 * alternatives, each a set of permissions the token must carry together (listing sign-ins and directory audits needs
 * AuditLog.Read.All *and* Directory.Read.All); `roles`, when present, are the directory roles of which the signed-in
 * user must hold one (the identity reports answer 403 to anyone else, whatever the token carries).
 */
export const SOURCE_NEEDS: Record<string, { scopes: string[][]; roles?: string[] }> = {
  'graph.organization': { scopes: [['User.Read'], ['Organization.Read.All'], ['Directory.Read.All']] },
  'graph.applications': { scopes: [['Application.Read.All'], ['Directory.Read.All']] },
  'graph.servicePrincipals': { scopes: [['Application.Read.All'], ['Directory.Read.All']] },
  'graph.appRoleAssignedTo': { scopes: [['Application.Read.All'], ['Directory.Read.All']] },
  // https://learn.microsoft.com/graph/api/directory-deleteditems-list: applications and service principals, Application.Read.All.
  'graph.deletedApplications': { scopes: [['Application.Read.All'], ['Directory.Read.All']] },
  'graph.deletedServicePrincipals': { scopes: [['Application.Read.All'], ['Directory.Read.All']] },
  'graph.oauth2PermissionGrants': { scopes: [['DelegatedPermissionGrant.Read.All'], ['Directory.Read.All']] },
  'graph.users': { scopes: [['User.Read.All'], ['Directory.Read.All']] },
  'graph.roleAssignments': { scopes: [['RoleManagement.Read.Directory'], ['Directory.Read.All']] },
  // https://learn.microsoft.com/graph/api/authenticationmethodsroot-list-userregistrationdetails
  'graph.userRegistrationDetails': { scopes: [['AuditLog.Read.All']], roles: REPORT_ROLES },
  // Directory roles, conditional access and security defaults in one $batch: the policies need Policy.Read.All, the roles a directory read.
  'graph.rolesAndPolicies': { scopes: [['Policy.Read.All', 'Directory.Read.All'], ['Policy.Read.All', 'RoleManagement.Read.Directory']] },
  // https://learn.microsoft.com/graph/api/signin-list and .../directoryaudit-list: "AuditLog.Read.All and Directory.Read.All".
  'graph.signIns': { scopes: [['AuditLog.Read.All', 'Directory.Read.All']], roles: REPORT_ROLES },
  // The same list, filtered by signInEventTypes (https://learn.microsoft.com/graph/api/signin-list?view=graph-rest-beta).
  'graph.nonInteractiveSignIns': { scopes: [['AuditLog.Read.All', 'Directory.Read.All']], roles: REPORT_ROLES },
  'graph.servicePrincipalSignIns': { scopes: [['AuditLog.Read.All', 'Directory.Read.All']], roles: REPORT_ROLES },
  'graph.directoryAudits': { scopes: [['AuditLog.Read.All', 'Directory.Read.All']], roles: REPORT_ROLES },
};

/** The sign-in logs: one list, read once per kind (interactive, non-interactive, service principal). */
const SIGN_IN_SOURCES = ['graph.signIns', 'graph.nonInteractiveSignIns', 'graph.servicePrincipalSignIns'];

/**
 * Exchange sources whose cmdlets sit in other management roles than View-Only Configuration (Exchange's own role
 * lists: https://learn.microsoft.com/powershell/module/exchange/get-adminauditlogconfig and
 * .../get-mailboxauditbypassassociation name the Audit Logs and View-Only Audit Logs roles).
 */
const EXCHANGE_NEEDS: Record<string, string> = {
  'exo.adminAuditLogConfig': 'View-Only Audit Logs or View-Only Configuration (or Exchange Administrator, Global Reader)',
  'exo.mailboxAuditBypass': 'View-Only Audit Logs or View-Only Configuration (or Exchange Administrator, Global Reader)',
};

/** Entra ID keeps sign-ins and audits 30 days with P1/P2, 7 days on Free; the Unified Audit Log 180 days (Audit Standard). */
const GRAPH_LOG_RETENTION_DAYS = 30;
const UAL_RETENTION_DAYS = 180;

/** Directory role templates an IR collection cares about, by their fixed template ids. */
const ROLE_NAMES: Record<string, string> = {
  '62e90394-69f5-4237-9190-012177145e10': 'Global Administrator',
  'f2ef992c-3afb-46b9-b7cf-a126ee74c451': 'Global Reader',
  '29232cdf-9323-42fd-ade2-1d097af3e4de': 'Exchange Administrator',
  '194ae4cb-b126-40b2-bd5b-6091b380977d': 'Security Administrator',
  '5d6b6bb7-de71-4623-b4af-96380a352509': 'Security Reader',
  '4a5d8f65-41da-4de4-8968-e035b65339cf': 'Reports Reader',
  '9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3': 'Application Administrator',
  '158c047a-c907-4556-b7ef-446551a6b5f7': 'Cloud Application Administrator',
  'e8611ab8-c189-46e8-94e1-60213ab1f814': 'Privileged Role Administrator',
  '5f2222b1-57c3-48ba-8ad5-d4759f1fde6f': 'Security Operator',
  'fdd7a751-b60b-444a-984c-02652fe8fa1c': 'Groups Administrator',
};

/**
 * The signed-in user's directory roles, read from their role assignments (least permission RoleManagement.Read.Directory).
 * Null when they cannot be read: the collection can still run, the preflight just cannot say.
 */
export async function directoryRolesOf(graph: GraphReader, objectId: string | null): Promise<string[] | null> {
  if (!objectId) return null;
  try {
    const page = await graph.page(`/v1.0/roleManagement/directory/roleAssignments?$filter=${encodeURIComponent(`principalId eq '${objectId}'`)}`);
    const ids = page.value.map((a) => String((a as { roleDefinitionId?: unknown }).roleDefinitionId ?? ''));
    return [...new Set(ids.filter(Boolean).map((id) => ROLE_NAMES[id] ?? `role ${id}`))].sort();
  } catch {
    return null;
  }
}

export interface PreflightInput {
  /** Scopes (delegated) or app roles (app-only) the Graph token carries. */
  grantedScopes: string[];
  graphAccount: string | null;
  exchangeAccount: string | null;
  logDays: number;
  exchange: boolean;
  /** Records per source from this case's last clean collection, for the estimate. */
  previous: Record<string, number> | null;
  /** The signed-in user's directory roles, when they could be read. */
  roles?: string[] | null;
}

/** Strips a resource prefix: tokens for `.default` may list `https://graph.microsoft.com/X` or just `X`. */
const scopeName = (s: string) => s.replace(/^https?:\/\/[^/]+\//, '');

/** What to do about a missing delegated permission: consent is given at sign-in, by an administrator for the organisation. */
const CONSENT_HINT = 'Sign in again and accept the permissions Peregrine asks for; if the tenant asks for admin approval, have an administrator (Privileged Role, Cloud Application or Application Administrator) consent for the organisation.';

export function preflight(input: PreflightInput): PreflightView {
  const granted = new Set(input.grantedScopes.map(scopeName));
  const rows: PreflightRow[] = [];
  const graphSources = [...GRAPH_SOURCES, ...(input.logDays > 0 ? LOG_SOURCES : [])];
  for (const s of graphSources) {
    const needs = SOURCE_NEEDS[s.source] ?? { scopes: [] };
    const held = needs.scopes.find((set) => set.every((n) => granted.has(n)));
    // The alternative closest to being met names what is missing.
    const closest = [...needs.scopes].sort((a, b) => a.filter((n) => !granted.has(n)).length - b.filter((n) => !granted.has(n)).length)[0] ?? [];
    const lacking = closest.filter((n) => !granted.has(n));
    const roleMissing = !!needs.roles && !!input.roles && !input.roles.some((r) => needs.roles!.includes(r));
    let note: string | null = null;
    if (s.windowed) {
      note = input.logDays > GRAPH_LOG_RETENTION_DAYS
        ? `Entra keeps ${GRAPH_LOG_RETENTION_DAYS} days (P1/P2): the first ${input.logDays - GRAPH_LOG_RETENTION_DAYS} of the ${input.logDays} days asked for will be empty.`
        : input.logDays > 7
          ? 'On Entra ID Free only the last 7 days are kept.'
          : null;
      if (SIGN_IN_SOURCES.includes(s.source)) note = [note, 'Sign-in logs need Entra ID P1 or P2.'].filter(Boolean).join(' ');
    }
    const problems = [
      held ? null : `The token lacks ${lacking.join(' and ')}: this source will fail. ${CONSENT_HINT}`,
      roleMissing ? `${input.graphAccount ?? 'The account'} holds none of the roles ${needs.roles!.join(', ')}: Graph refuses this source to anyone else. Sign in with such an account, or have one assigned.` : null,
    ].filter(Boolean);
    rows.push({
      source: s.source,
      label: s.label,
      service: 'graph',
      needs: [needs.scopes.map((set) => set.join(' and ')).join(' or '), needs.roles ? `; role: ${needs.roles.join(', ')}` : ''].join(''),
      status: !input.graphAccount ? 'not-signed-in' : problems.length === 0 ? 'ok' : 'missing',
      note: !input.graphAccount ? 'Sign in first.' : problems.length === 0 ? note : [...problems, note].filter(Boolean).join(' '),
      estimatedRecords: input.previous?.[s.source] ?? null,
    });
  }
  if (input.exchange) {
    for (const s of [...EXCHANGE_SOURCES, ...(input.logDays > 0 ? EXCHANGE_LOG_SOURCES : [])]) {
      rows.push({
        source: s.source,
        label: s.label,
        service: 'exchange',
        needs: s.windowed ? 'View-Only Audit Logs (or Exchange Administrator)' : EXCHANGE_NEEDS[s.source] ?? 'Exchange Administrator, Global Reader or View-Only Configuration',
        // Exchange checks roles itself on each call; the token cannot tell us beforehand.
        status: input.exchangeAccount ? 'unknown' : 'not-signed-in',
        note: !input.exchangeAccount
          ? 'Sign in to Exchange Online first.'
          : s.windowed && input.logDays > UAL_RETENTION_DAYS
            ? `The Unified Audit Log keeps ${UAL_RETENTION_DAYS} days (Audit Standard).`
            : s.windowed
              ? 'Searched in sessions of at most 50,000 records; busy windows are split automatically.'
              : null,
        estimatedRecords: input.previous?.[s.source] ?? null,
      });
    }
  }
  // Report endpoints allow 5 requests per 10 s: with full pages of 1,000, that bounds the duration from below.
  const reportRecords = rows.filter((r) => [...SIGN_IN_SOURCES, 'graph.directoryAudits', 'graph.userRegistrationDetails'].includes(r.source)).map((r) => r.estimatedRecords);
  // A source the last collection did not read (added since) counts as one page.
  const estimateSeconds = input.previous && reportRecords.some((n) => n !== null)
    ? Math.floor(Math.max(0, reportRecords.reduce<number>((t, n) => t + Math.max(1, Math.ceil((n ?? 0) / 1000)), 0) - 1) / 5) * 10
    : null;
  return {
    graphAccount: input.graphAccount,
    exchangeAccount: input.exchangeAccount,
    roles: input.roles ?? null,
    grantedScopes: [...granted].sort(),
    rows,
    estimatedMinimumSeconds: estimateSeconds,
    basis: input.previous ? 'the last clean collection of this case' : null,
  };
}
