// Main process / CLI: the delegated Microsoft Graph permissions a collection asks for by name (as `Connect-MgGraph -Scopes` does), and why.

/**
 * Named, not `.default`: `.default` is static consent and yields only what the tenant already granted the public
 * client, so a tenant that never consented would hand out a token that reads almost nothing. Named scopes make the
 * sign-in page ask for consent on first use. Directory.Read.All covers users, applications, service principals,
 * grants and role assignments; sign-ins and directory audits need AuditLog.Read.All *and* Directory.Read.All.
 * https://learn.microsoft.com/entra/identity-platform/scopes-oidc#the-default-scope
 */
export const COLLECTION_GRAPH_SCOPES: readonly { scope: string; why: string }[] = [
  { scope: 'User.Read', why: 'sign in; read the organisation (tenant id, verified domains)' },
  { scope: 'Directory.Read.All', why: 'users, applications, service principals, permission grants, app-role grants, directory roles and role assignments; with AuditLog.Read.All, sign-ins and directory audits' },
  { scope: 'AuditLog.Read.All', why: 'sign-in logs, directory audits, authentication-method registration details' },
  { scope: 'Policy.Read.All', why: 'conditional access policies and security defaults' },
];

/** The collection's Graph scopes on a resource (`https://graph.microsoft.com`, a national cloud's host, …). */
export function graphScopesFor(resource: string): string[] {
  const base = resource.replace(/\/+$/, '');
  return COLLECTION_GRAPH_SCOPES.map((s) => `${base}/${s.scope}`);
}

/** The resource a scope belongs to: `https://graph.microsoft.com/AuditLog.Read.All` → `https://graph.microsoft.com`. */
export function resourceOf(scope: string): string | null {
  const m = /^(https?:\/\/[^/]+)\/[^/]+$/.exec(scope);
  return m ? m[1]! : null;
}

/**
 * An environment file's Graph scopes: a lone `<resource>/.default` (what earlier files held) becomes the collection's
 * named scopes on that resource, so the file keeps working and consent is still asked for by name.
 */
export function namedGraphScopes(scopes: readonly string[]): string[] {
  const only = scopes.length === 1 ? scopes[0]! : null;
  if (only?.endsWith('/.default')) return graphScopesFor(only.slice(0, -'/.default'.length));
  return [...scopes];
}

/** App-only tokens take `<resource>/.default` only (client credentials): one per resource named. */
export function defaultScopes(scopes: readonly string[]): string[] {
  const resources = [...new Set(scopes.map((s) => resourceOf(s)).filter((r): r is string => r !== null))];
  return resources.length > 0 ? resources.map((r) => `${r}/.default`) : [...scopes];
}
