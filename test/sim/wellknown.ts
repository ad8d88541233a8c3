// Test tooling (Node): Microsoft's fixed identifiers (first-party apps, permission ids, directory role templates) as the simulated tenant uses them.
// Permission ids come from Microsoft Graph's published permission table and public code that grants them; none is made up.

export const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
export const EXCHANGE_APP_ID = '00000002-0000-0ff1-ce00-000000000000';
export const EXCHANGE_MANAGE_AS_APP_ROLE_ID = 'dc50a0fb-09a3-484d-be87-e023b12c6440';
/** The tenant that owns most Microsoft first-party applications ("Microsoft Services"). */
export const MICROSOFT_SERVICES_TENANT_ID = 'f8cdef31-a31e-4b4a-93e4-5f571e91255a';

export const GRAPH_RESOURCE = 'https://graph.microsoft.com';
export const EXCHANGE_RESOURCE = 'https://outlook.office365.com';

/** Public clients Microsoft's own tools use for delegated sign-in (APIS.md). */
export const GRAPH_CLI_CLIENT_ID = '14d82eec-204b-4c2f-b7e8-296a70dab67e';
export const EXCHANGE_POWERSHELL_CLIENT_ID = 'fb78d390-0c51-40cd-8e17-fdbfab77341b';
export const AZURE_AD_POWERSHELL_CLIENT_ID = '1b730954-1685-4b74-9bfd-dac224a7b894';

export const DIRECTORY_ROLES = {
  globalAdministrator: { templateId: '62e90394-69f5-4237-9190-012177145e10', displayName: 'Global Administrator' },
  exchangeAdministrator: { templateId: '29232cdf-9323-42fd-ade2-1d097af3e4de', displayName: 'Exchange Administrator' },
  applicationAdministrator: { templateId: '9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3', displayName: 'Application Administrator' },
  privilegedRoleAdministrator: { templateId: 'e8611ab8-c189-46e8-94e1-60213ab1f814', displayName: 'Privileged Role Administrator' },
  securityAdministrator: { templateId: '194ae4cb-b126-40b2-bd5b-6091b380977d', displayName: 'Security Administrator' },
  userAdministrator: { templateId: 'fe930be7-5e62-47db-91af-98c3a49a38b1', displayName: 'User Administrator' },
  helpdeskAdministrator: { templateId: '729827e3-9c14-49f7-bb1b-9608f156bbb8', displayName: 'Helpdesk Administrator' },
  reportsReader: { templateId: '4a5d8f65-41da-4de4-8968-e035b65339cf', displayName: 'Reports Reader' },
  globalReader: { templateId: 'f2ef992c-3afb-46b9-b7cf-a126ee74c451', displayName: 'Global Reader' },
  /** Every member user holds it; it shows in `wids` of real tokens. */
  user: { templateId: 'b79fbf4d-3ef9-4689-8143-76b194e85509', displayName: 'User' },
} as const;

export type DirectoryRoleKey = keyof typeof DIRECTORY_ROLES;

export interface PermissionDefinition {
  value: string;
  /** App role id (application permission), when the permission exists in that form. */
  roleId?: string;
  /** oauth2PermissionScope id (delegated permission), when it exists in that form. */
  scopeId?: string;
  displayName: string;
  description: string;
}

export const GRAPH_PERMISSIONS: readonly PermissionDefinition[] = [
  { value: 'Application.Read.All', roleId: '9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30', scopeId: 'c79f8feb-a9db-4090-85f9-90d820caa0eb', displayName: 'Read all applications', description: 'Allows the app to read all applications and service principals.' },
  { value: 'Application.ReadWrite.All', roleId: '1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9', scopeId: 'bdfbf15f-ee85-4955-8675-146e8e5296b5', displayName: 'Read and write all applications', description: 'Allows the app to create, read, update and delete applications and service principals.' },
  { value: 'Application.ReadWrite.OwnedBy', roleId: '18a4783c-866b-4cc7-a460-3d5e5662c884', displayName: 'Manage apps that this app creates or owns', description: 'Allows the app to create other applications, and fully manage those applications, without a signed-in user.' },
  { value: 'AppRoleAssignment.ReadWrite.All', roleId: '06b708a9-e830-4db3-a914-8e69da51d44f', scopeId: '84bccea3-f856-4a8a-967b-dbe0a3d53a64', displayName: 'Manage app permission grants and app role assignments', description: 'Allows the app to manage permission grants for application permissions to any API and app role assignments for any app.' },
  { value: 'AuditLog.Read.All', roleId: 'b0afded3-3588-46d8-8b3d-9842eff778da', scopeId: 'e4c9e354-4dc5-45b8-9e7c-e1393b0b1a20', displayName: 'Read all audit log data', description: "Allows the app to read and query your audit log activities." },
  { value: 'AuditLogsQuery.Read.All', roleId: '5e1e9171-754d-478c-812c-f1755a9a4c2d', displayName: 'Read audit logs data from all services', description: 'Allows the app to read and query audit logs from all services.' },
  { value: 'Calendars.Read', roleId: '798ee544-9d2d-430c-a058-570e29e34338', scopeId: '465a38f9-76ea-45b9-9f34-9e8b0d4b0b42', displayName: 'Read calendars in all mailboxes', description: 'Allows the app to read events of all calendars.' },
  { value: 'DelegatedPermissionGrant.ReadWrite.All', roleId: '8e8e4742-1d95-4f68-9d56-6ee75648c72a', scopeId: '41ce6ca6-6826-4807-84f1-1c82854f7ee5', displayName: 'Manage all delegated permission grants', description: 'Allows the app to manage permission grants for delegated permissions exposed by any API.' },
  { value: 'Directory.AccessAsUser.All', scopeId: '0e263e50-5827-48a4-b97c-d940288653c7', displayName: 'Access directory as the signed in user', description: 'Allows the app to have the same access to information in the directory as the signed-in user.' },
  { value: 'Directory.Read.All', roleId: '7ab1d382-f21e-4acd-a863-ba3e13f7da61', scopeId: '06da0dbc-49e2-44d2-8312-53f166ab848a', displayName: 'Read directory data', description: "Allows the app to read data in your organization's directory." },
  { value: 'Directory.ReadWrite.All', roleId: '19dbc75e-c2e2-444c-a770-ec69d8559fc7', scopeId: 'c5366453-9fb0-48a5-a156-24f0c49a4b84', displayName: 'Read and write directory data', description: "Allows the app to read and write data in your organization's directory." },
  { value: 'Domain.Read.All', roleId: 'dbb9058a-0e50-45d7-ae91-66909b5d4664', scopeId: '2f9ee017-59c1-4f1d-9472-bd5529a7b311', displayName: 'Read domains', description: 'Allows the app to read all domain properties.' },
  { value: 'Files.Read.All', roleId: '01d4889c-1287-42c6-ac1f-5d1e02578ef6', scopeId: 'df85f4d6-205c-4ac5-a5ea-6bf408dba283', displayName: 'Read files in all site collections', description: 'Allows the app to read all files in all site collections.' },
  { value: 'Group.Read.All', roleId: '5b567255-7703-4780-807c-7be8301ae99b', scopeId: '5f8c59db-677d-491f-a6b8-5f174b11ec1d', displayName: 'Read all groups', description: 'Allows the app to read group properties and memberships.' },
  { value: 'Group.ReadWrite.All', roleId: '62a82d76-70ea-41e2-9197-370581804d09', scopeId: '4e46008b-f24c-477d-8fff-7bb4ec7aafe0', displayName: 'Read and write all groups', description: 'Allows the app to create groups, read all group properties and memberships, and update group properties and memberships.' },
  { value: 'Mail.Read', roleId: '810c84a8-4a9e-49e6-bf7d-12d183f40d01', scopeId: '570282fd-fa5c-430d-a7fd-fc8dc98a9dca', displayName: 'Read mail in all mailboxes', description: 'Allows the app to read mail in all mailboxes.' },
  { value: 'Mail.ReadWrite', roleId: 'e2a3a72e-5f79-4c64-b1b1-878b674786c9', scopeId: '024d486e-b451-40bb-833d-3e66d98c5c73', displayName: 'Read and write mail in all mailboxes', description: 'Allows the app to create, read, update, and delete mail in all mailboxes.' },
  { value: 'Mail.Send', roleId: 'b633e1c5-b582-4048-a93e-9f11b44c7e96', scopeId: 'e383f46e-2787-4529-855e-0e479a3ffac0', displayName: 'Send mail as any user', description: 'Allows the app to send mail as any user.' },
  { value: 'MailboxSettings.Read', roleId: '40f97065-369a-49f4-947c-6a255697ae91', scopeId: '87f447af-9fa4-4c32-9dfa-4a57a73d18ce', displayName: "Read all user mailbox settings", description: "Allows the app to read user's mailbox settings." },
  { value: 'offline_access', scopeId: '7427e0e9-2fba-42fe-b0c0-848c9e6a8182', displayName: 'Maintain access to data you have given it access to', description: 'Allows the app to see and update the data you gave it access to, even when users are not currently using the app.' },
  { value: 'openid', scopeId: '37f7f235-527c-4136-accd-4a02d197296e', displayName: 'Sign users in', description: 'Allows users to sign in to the app with their work or school accounts.' },
  { value: 'Organization.Read.All', roleId: '498476ce-e0fe-48b0-b801-37ba7e2685c6', scopeId: '4908d5b9-3fb2-4b1e-9336-1888b7937185', displayName: 'Read organization information', description: "Allows the app to read the organization and related resources." },
  { value: 'Policy.Read.All', roleId: '246dd0d5-5bd0-4def-940b-0421030a5b68', scopeId: '572fea84-0151-49b2-9301-11cb16974376', displayName: "Read your organization's policies", description: "Allows the app to read all your organization's policies." },
  { value: 'Policy.ReadWrite.AuthenticationMethod', roleId: '29c18626-4985-4dcd-85c0-193eef327366', scopeId: '7e823077-d88e-468f-a337-e18f1f0e6c7c', displayName: 'Read and write all authentication method policies', description: 'Allows the app to read and write all authentication method policies for the tenant.' },
  { value: 'Policy.ReadWrite.ConditionalAccess', roleId: '01c0a623-fc9b-48e9-b794-0756f8e8f067', scopeId: 'ad902697-1014-4ef5-81ef-2b4301988e8c', displayName: 'Read and write your organization\'s conditional access policies', description: "Allows the app to read and write your organization's conditional access policies." },
  { value: 'Policy.ReadWrite.SecurityDefaults', roleId: '1c6e93a6-28e2-4cbb-9f64-1a46a821124d', scopeId: '0b2a744c-2abf-4f1e-ad7e-17a087e2be99', displayName: "Read and write your organization's security defaults policy", description: "Allows the app to read and write your organization's security defaults policy." },
  { value: 'profile', scopeId: '14dad69e-099b-42c9-810b-d002981feec1', displayName: "View users' basic profile", description: "Allows the app to see your users' basic profile (e.g., name, picture, user name, email address)." },
  { value: 'Reports.Read.All', roleId: '230c1aed-a721-4c5d-9cb4-a90514e508ef', scopeId: '02e97553-ed7b-43d0-ab3c-f8bace0d040c', displayName: 'Read all usage reports', description: 'Allows an app to read all service usage reports.' },
  { value: 'RoleManagement.Read.Directory', roleId: '483bed4a-2ad3-4361-a73b-c83ccdbdc53c', scopeId: '741c54c3-0c1e-44a1-818b-3f97ab4e8c83', displayName: 'Read all directory RBAC settings', description: "Allows the app to read the role-based access control (RBAC) settings for your company's directory." },
  { value: 'RoleManagement.ReadWrite.Directory', roleId: '9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8', scopeId: 'd01b97e9-cbc0-49fe-810a-750afd5527a3', displayName: 'Read and write all directory RBAC settings', description: "Allows the app to read and manage the role-based access control (RBAC) settings for your company's directory." },
  { value: 'Sites.Read.All', roleId: '332a536c-c7ef-4017-ab91-336970924f0d', scopeId: '205e70e5-aba6-4c52-a976-6d2d46c48043', displayName: 'Read items in all site collections', description: 'Allows the app to read documents and list items in all site collections.' },
  { value: 'User.Read', scopeId: 'e1fe6dd8-ba31-4d61-89e7-88639da4683d', displayName: 'Sign in and read user profile', description: 'Allows users to sign-in to the app, and allows the app to read the profile of signed-in users.' },
  { value: 'User.Read.All', roleId: 'df021288-bdef-4463-88db-98f22de89214', scopeId: 'a154be20-db9c-4678-8ab7-66f6cc099a59', displayName: "Read all users' full profiles", description: 'Allows the app to read user profiles.' },
  { value: 'User.RevokeSessions.All', roleId: '77f3a031-c388-4f99-b373-dc68676a979e', scopeId: 'f6a3db3e-f7e8-4ed2-a414-557c8c9830be', displayName: 'Revoke all sign in sessions for a user', description: 'Allows the app to revoke all sign in sessions for a user.' },
  { value: 'User-PasswordProfile.ReadWrite.All', roleId: 'cc117bb9-00cf-4eb8-b580-ea2a878fe8f7', scopeId: '56760768-b641-451f-8906-e1b8ab31bca7', displayName: 'Read and write all password profiles and reset user passwords', description: 'Allows the app to read and write password profiles and reset passwords for all users.' },
  { value: 'User.ReadBasic.All', scopeId: 'b340eb25-3456-403f-be2f-af7a0d370277', displayName: "Read all users' basic profiles", description: "Allows the app to read a basic set of profile properties of other users in your organization." },
  { value: 'User.ReadWrite.All', roleId: '741f803b-c850-494e-b5df-cde7c675a1ca', scopeId: '204e0828-b5ca-4ad8-b9f3-f32a958e7cc4', displayName: "Read and write all users' full profiles", description: 'Allows the app to read and update user profiles.' },
];

export const EXCHANGE_PERMISSIONS: readonly PermissionDefinition[] = [
  { value: 'Exchange.ManageAsApp', roleId: EXCHANGE_MANAGE_AS_APP_ROLE_ID, displayName: 'Manage Exchange As Application', description: "Allows the app to manage the organization's Exchange environment without any user interaction. This includes mailboxes, groups, and other configuration objects. To enable management actions, an admin must assign the appropriate roles directly to the app." },
  { value: 'full_access_as_app', roleId: 'dc890d15-9560-4a4c-9b7f-a736ec74ec40', displayName: 'Use Exchange Web Services with full access to all mailboxes', description: 'Allows the app to have full access via Exchange Web Services to all mailboxes without a signed-in user.' },
  { value: 'IMAP.AccessAsApp', roleId: '5e5addcd-3e8d-4e90-baf5-964efab2b20a', displayName: 'IMAP.AccessAsApp', description: 'Allows the app to access mailboxes via IMAP without a signed-in user.' },
  { value: 'POP.AccessAsApp', roleId: 'cb842b43-da6e-4506-86fe-bb12199c656d', displayName: 'POP.AccessAsApp', description: 'Allows the app to access mailboxes via POP without a signed-in user.' },
  { value: 'SMTP.SendAsApp', roleId: '7146a1f0-8703-45b3-9eae-527a64c00995', displayName: 'SMTP.SendAsApp', description: 'Allows the app to send mail via SMTP AUTH without a signed-in user.' },
  { value: 'EWS.AccessAsUser.All', scopeId: '3b5f3d61-589b-4a3c-a359-5dd4b5ee5bd5', displayName: 'Access mailboxes as the signed-in user via Exchange Web Services', description: 'Allows the app to have the same access to mailboxes as the signed-in user via Exchange Web Services.' },
  { value: 'Exchange.Manage', scopeId: 'ab4f2b77-0b06-4fc1-a9de-02113fc2ab7c', displayName: 'Manage Exchange configuration', description: "Allows the app to manage the organization's Exchange environment, such as mailboxes, groups, and other configuration objects. To enable management actions, an admin must assign the appropriate roles directly to the app." },
];

export function graphRoleId(value: string): string {
  const found = GRAPH_PERMISSIONS.find((p) => p.value === value)?.roleId;
  if (!found) throw new Error(`no Graph app role named ${value}`);
  return found;
}

export function graphScopeId(value: string): string {
  const found = GRAPH_PERMISSIONS.find((p) => p.value === value)?.scopeId;
  if (!found) throw new Error(`no Graph delegated permission named ${value}`);
  return found;
}

export function exchangeRoleId(value: string): string {
  const found = EXCHANGE_PERMISSIONS.find((p) => p.value === value)?.roleId;
  if (!found) throw new Error(`no Exchange app role named ${value}`);
  return found;
}

export interface FirstPartyApp {
  appId: string;
  displayName: string;
  /** Resource URI(s) other apps request tokens for, when the app is an API. */
  servicePrincipalNames: string[];
}

/** First-party service principals every Microsoft 365 tenant has (a real one holds hundreds). */
export const FIRST_PARTY_APPS: readonly FirstPartyApp[] = [
  { appId: GRAPH_APP_ID, displayName: 'Microsoft Graph', servicePrincipalNames: ['https://canary.graph.microsoft.com', 'https://graph.microsoft.us', 'https://graph.microsoft.com', 'https://ags.windows.net', GRAPH_APP_ID] },
  { appId: EXCHANGE_APP_ID, displayName: 'Office 365 Exchange Online', servicePrincipalNames: ['https://outlook.office365.com/', 'https://outlook.office365.com', 'https://outlook.office.com', 'https://ps.outlook.com', EXCHANGE_APP_ID] },
  { appId: '00000003-0000-0ff1-ce00-000000000000', displayName: 'Office 365 SharePoint Online', servicePrincipalNames: ['00000003-0000-0ff1-ce00-000000000000/*.sharepoint.com', '00000003-0000-0ff1-ce00-000000000000'] },
  { appId: '00000002-0000-0000-c000-000000000000', displayName: 'Windows Azure Active Directory', servicePrincipalNames: ['https://graph.windows.net', '00000002-0000-0000-c000-000000000000'] },
  { appId: 'c5393580-f805-4401-95e8-94b7a6ef2fc2', displayName: 'Office 365 Management APIs', servicePrincipalNames: ['https://manage.office.com', 'c5393580-f805-4401-95e8-94b7a6ef2fc2'] },
  { appId: GRAPH_CLI_CLIENT_ID, displayName: 'Microsoft Graph Command Line Tools', servicePrincipalNames: [GRAPH_CLI_CLIENT_ID] },
  { appId: EXCHANGE_POWERSHELL_CLIENT_ID, displayName: 'Microsoft Exchange REST API Based Powershell', servicePrincipalNames: [EXCHANGE_POWERSHELL_CLIENT_ID] },
  { appId: AZURE_AD_POWERSHELL_CLIENT_ID, displayName: 'Azure Active Directory PowerShell', servicePrincipalNames: [AZURE_AD_POWERSHELL_CLIENT_ID] },
  { appId: '1fec8e78-bce4-4aaf-ab1b-5451cc387264', displayName: 'Microsoft Teams', servicePrincipalNames: ['1fec8e78-bce4-4aaf-ab1b-5451cc387264'] },
  { appId: 'd3590ed6-52b3-4102-aeff-aad2292ab01c', displayName: 'Microsoft Office', servicePrincipalNames: ['d3590ed6-52b3-4102-aeff-aad2292ab01c'] },
  { appId: '04b07795-8ddb-461a-bbee-02f9e1bf7b46', displayName: 'Microsoft Azure CLI', servicePrincipalNames: ['04b07795-8ddb-461a-bbee-02f9e1bf7b46'] },
  { appId: '1950a258-227b-4e31-a9cf-717495945fc2', displayName: 'Microsoft Azure PowerShell', servicePrincipalNames: ['1950a258-227b-4e31-a9cf-717495945fc2'] },
  { appId: 'c44b4083-3bb0-49c1-b47d-974e53cbdf3c', displayName: 'Azure Portal', servicePrincipalNames: ['c44b4083-3bb0-49c1-b47d-974e53cbdf3c'] },
  { appId: 'de8bc8b5-d9f9-48b1-a8ad-b748da725064', displayName: 'Graph Explorer', servicePrincipalNames: ['de8bc8b5-d9f9-48b1-a8ad-b748da725064'] },
];
