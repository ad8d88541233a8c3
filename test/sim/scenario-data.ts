// Test tooling (Node): the fixed material of each scenario (organisation, people, app catalogue) that the seeded generator draws from.
import type { DirectoryRoleKey } from './wellknown';

export type ScenarioName = 'contoso' | 'fabrikam';
export const SCENARIO_NAMES: readonly ScenarioName[] = ['contoso', 'fabrikam'];

export interface PersonTemplate {
  givenName: string;
  surname: string;
  /** Local part of the UPN. */
  alias: string;
  jobTitle: string;
  /** Directory roles beyond the default User role; a non-empty list makes the person an admin. */
  roles: DirectoryRoleKey[];
}

export interface ScenarioDefinition {
  name: ScenarioName;
  displayName: string;
  /** The domain label: the part before `.onmicrosoft.com`, which the attacker's app name copies. */
  label: string;
  customDomain: string;
  /** The scenario's "now": the day the consultant starts collecting. Fixed so a seed always gives the same tenant. */
  referenceTime: string;
  /** Window in which the tenant itself was created. */
  tenantCreatedBetween: [string, string];
  address: { street: string; city: string; state: string | null; postalCode: string; country: string; countryLetterCode: string };
  preferredLanguage: string;
  phonePrefix: string;
  offices: string[];
  people: PersonTemplate[];
  /** Documentation address ranges (RFC 5737): the attacker's infrastructure, never a real host. */
  attackerIpPrefixes: string[];
  /** The organisation's own egress addresses (also documentation ranges). */
  corporateIpPrefixes: string[];
}

const contosoPeople: PersonTemplate[] = [
  { givenName: 'MOD', surname: 'Administrator', alias: 'admin', jobTitle: 'IT Administrator', roles: ['globalAdministrator'] },
  { givenName: 'Megan', surname: 'Bowen', alias: 'MeganB', jobTitle: 'Marketing Manager', roles: ['globalAdministrator'] },
  { givenName: 'Nestor', surname: 'Wilke', alias: 'NestorW', jobTitle: 'Director of Operations', roles: ['exchangeAdministrator', 'applicationAdministrator'] },
  { givenName: 'Adele', surname: 'Vance', alias: 'AdeleV', jobTitle: 'Retail Manager', roles: [] },
  { givenName: 'Alex', surname: 'Wilber', alias: 'AlexW', jobTitle: 'Marketing Assistant', roles: [] },
  { givenName: 'Diego', surname: 'Siciliani', alias: 'DiegoS', jobTitle: 'HR Manager', roles: [] },
  { givenName: 'Grady', surname: 'Archie', alias: 'GradyA', jobTitle: 'Designer', roles: [] },
  { givenName: 'Isaiah', surname: 'Langer', alias: 'IsaiahL', jobTitle: 'Sales Rep', roles: [] },
  { givenName: 'Johanna', surname: 'Lorenz', alias: 'JohannaL', jobTitle: 'Senior Engineer', roles: [] },
  { givenName: 'Joni', surname: 'Sherman', alias: 'JoniS', jobTitle: 'Paralegal', roles: [] },
  { givenName: 'Lee', surname: 'Gu', alias: 'LeeG', jobTitle: 'Director', roles: [] },
  { givenName: 'Lidia', surname: 'Holloway', alias: 'LidiaH', jobTitle: 'Product Manager', roles: [] },
  { givenName: 'Lynne', surname: 'Robbins', alias: 'LynneR', jobTitle: 'Planner', roles: [] },
  { givenName: 'Miriam', surname: 'Graham', alias: 'MiriamG', jobTitle: 'Director', roles: [] },
  { givenName: 'Patti', surname: 'Fernandez', alias: 'PattiF', jobTitle: 'President', roles: [] },
  { givenName: 'Pradeep', surname: 'Gupta', alias: 'PradeepG', jobTitle: 'Accountant', roles: [] },
];

const fabrikamPeople: PersonTemplate[] = [
  { givenName: 'Fabrikam', surname: 'IT Admin', alias: 'itadmin', jobTitle: 'IT Administrator', roles: ['globalAdministrator'] },
  { givenName: 'Ingrid', surname: 'Halvorsen', alias: 'ingrid.halvorsen', jobTitle: 'Head of IT', roles: ['globalAdministrator'] },
  { givenName: 'Tomás', surname: 'Ferreira', alias: 'tomas.ferreira', jobTitle: 'Messaging Engineer', roles: ['exchangeAdministrator'] },
  { givenName: 'Aiko', surname: 'Tanaka', alias: 'aiko.tanaka', jobTitle: 'Logistics Coordinator', roles: [] },
  { givenName: 'Bruno', surname: 'Keller', alias: 'bruno.keller', jobTitle: 'Plant Manager', roles: [] },
  { givenName: 'Chiara', surname: 'Romano', alias: 'chiara.romano', jobTitle: 'Controller', roles: [] },
  { givenName: 'Dmitri', surname: 'Volkov', alias: 'dmitri.volkov', jobTitle: 'Quality Engineer', roles: [] },
  { givenName: 'Elif', surname: 'Yilmaz', alias: 'elif.yilmaz', jobTitle: 'Buyer', roles: [] },
  { givenName: 'Farah', surname: 'Haddad', alias: 'farah.haddad', jobTitle: 'HR Business Partner', roles: [] },
  { givenName: 'Gustavo', surname: 'Lima', alias: 'gustavo.lima', jobTitle: 'Sales Engineer', roles: [] },
  { givenName: 'Hannah', surname: 'Schmidt', alias: 'hannah.schmidt', jobTitle: 'Office Manager', roles: [] },
  { givenName: 'Ivan', surname: 'Petrov', alias: 'ivan.petrov', jobTitle: 'Maintenance Lead', roles: [] },
  { givenName: 'Jonas', surname: 'Berg', alias: 'jonas.berg', jobTitle: 'Account Manager', roles: [] },
  { givenName: 'Kavya', surname: 'Nair', alias: 'kavya.nair', jobTitle: 'Data Analyst', roles: [] },
  { givenName: "Liam", surname: "O'Connor", alias: 'liam.oconnor', jobTitle: 'Warehouse Supervisor', roles: [] },
  { givenName: 'Marta', surname: 'Nowak', alias: 'marta.nowak', jobTitle: 'Finance Director', roles: [] },
];

export const SCENARIOS: Record<ScenarioName, ScenarioDefinition> = {
  contoso: {
    name: 'contoso',
    displayName: 'Contoso',
    label: 'contoso',
    customDomain: 'contoso.com',
    referenceTime: '2024-10-15T09:00:00Z',
    tenantCreatedBetween: ['2016-02-01T00:00:00Z', '2017-11-30T00:00:00Z'],
    address: { street: 'One Microsoft Way', city: 'Redmond', state: 'WA', postalCode: '98052', country: 'United States', countryLetterCode: 'US' },
    preferredLanguage: 'en',
    phonePrefix: '+1 425 555 0',
    offices: ['18/2111', '20/1101', '19/3123', '131/1104', '12/1110'],
    people: contosoPeople,
    attackerIpPrefixes: ['203.0.113.', '198.51.100.'],
    corporateIpPrefixes: ['192.0.2.'],
  },
  fabrikam: {
    name: 'fabrikam',
    displayName: 'Fabrikam Manufacturing B.V.',
    label: 'fabrikam',
    customDomain: 'fabrikam.nl',
    referenceTime: '2025-04-07T13:30:00Z',
    tenantCreatedBetween: ['2018-05-01T00:00:00Z', '2019-09-30T00:00:00Z'],
    address: { street: 'Keizersgracht 123', city: 'Amsterdam', state: null, postalCode: '1015 CJ', country: 'Netherlands', countryLetterCode: 'NL' },
    preferredLanguage: 'nl',
    phonePrefix: '+31 20 555 0',
    offices: ['AMS-2.14', 'AMS-3.02', 'EIN-1.07', 'RTM-0.11'],
    people: fabrikamPeople,
    attackerIpPrefixes: ['198.51.100.', '192.0.2.'],
    corporateIpPrefixes: ['203.0.113.'],
  },
};

export type AppKind = 'web' | 'daemon' | 'client' | 'api';

export interface AppTemplate {
  /** `{Org}` becomes the organisation's short name. */
  name: string;
  kind: AppKind;
  audience?: 'AzureADMyOrg' | 'AzureADMultipleOrgs' | 'AzureADandPersonalMicrosoftAccount';
  /** Graph permissions requested: application roles for daemons, delegated scopes otherwise. */
  graph?: string[];
}

/** In-house app registrations a mid-size tenant accumulates over the years. */
export const APP_CATALOGUE: readonly AppTemplate[] = [
  { name: '{Org} Intranet', kind: 'web', graph: ['User.Read'] },
  { name: '{Org} HR Portal', kind: 'web', graph: ['User.Read', 'User.ReadBasic.All'] },
  { name: 'Expense Reporting', kind: 'web', graph: ['User.Read'] },
  { name: 'Timesheet App', kind: 'web', graph: ['User.Read'] },
  { name: 'Visitor Registration', kind: 'web', graph: ['User.Read', 'Calendars.Read'] },
  { name: 'Asset Inventory', kind: 'web', graph: ['User.Read'] },
  { name: 'Helpdesk Portal', kind: 'web', graph: ['User.Read', 'User.ReadBasic.All'] },
  { name: 'Procurement Requests', kind: 'web', graph: ['User.Read'] },
  { name: 'Learning Hub', kind: 'web', graph: ['User.Read'] },
  { name: 'Customer Feedback Dashboard', kind: 'web', graph: ['User.Read'] },
  { name: 'Sales Forecasting', kind: 'web', graph: ['User.Read', 'Files.Read.All'] },
  { name: 'Board Portal', kind: 'web', graph: ['User.Read'] },
  { name: 'Field Service App', kind: 'client', graph: ['User.Read', 'offline_access'] },
  { name: 'Room Booking', kind: 'web', graph: ['User.Read', 'Calendars.Read'] },
  { name: 'Contract Repository', kind: 'web', graph: ['User.Read', 'Sites.Read.All'] },
  { name: 'Travel Requests', kind: 'web', graph: ['User.Read'] },
  { name: '{Org} Wiki', kind: 'web', graph: ['User.Read'] },
  { name: 'Partner Portal (staging)', kind: 'web', audience: 'AzureADMultipleOrgs', graph: ['User.Read'] },
  { name: 'Partner Portal (prod)', kind: 'web', audience: 'AzureADMultipleOrgs', graph: ['User.Read'] },
  { name: 'Recruiting Pipeline', kind: 'web', graph: ['User.Read'] },
  { name: 'Quality Incident Tracker', kind: 'web', graph: ['User.Read'] },
  { name: 'Shift Planner', kind: 'client', graph: ['User.Read', 'offline_access'] },
  { name: 'Azure DevOps - {org}-infra', kind: 'daemon', graph: ['Application.ReadWrite.OwnedBy'] },
  { name: 'Terraform Cloud - prod', kind: 'daemon', graph: ['Application.ReadWrite.OwnedBy', 'Group.Read.All'] },
  { name: 'GitHub Actions - website deploy', kind: 'daemon', graph: [] },
  { name: 'Jenkins CI', kind: 'daemon', graph: [] },
  { name: 'Backup monitor script', kind: 'daemon', graph: ['Reports.Read.All'] },
  { name: 'License report automation', kind: 'daemon', graph: ['User.Read.All', 'Organization.Read.All'] },
  { name: 'Teams provisioning runbook', kind: 'daemon', graph: ['Group.ReadWrite.All', 'User.Read.All'] },
  { name: 'User offboarding automation', kind: 'daemon', graph: ['User.ReadWrite.All', 'Group.ReadWrite.All'] },
  { name: 'Mailbox size report', kind: 'daemon', graph: ['Reports.Read.All'] },
  { name: 'Power BI Embedded - Finance', kind: 'daemon', graph: [] },
  { name: 'Logic Apps - invoice intake', kind: 'daemon', graph: ['Mail.Read'] },
  { name: 'SharePoint Migration Tool 2021', kind: 'daemon', graph: ['Sites.Read.All', 'Files.Read.All'] },
  { name: 'Intune compliance export', kind: 'daemon', graph: ['Directory.Read.All'] },
  { name: 'Sentinel connector', kind: 'daemon', graph: ['AuditLog.Read.All', 'Directory.Read.All'] },
  { name: 'Scan-to-email relay', kind: 'daemon', graph: ['Mail.Send'] },
  { name: 'Noreply mail sender', kind: 'daemon', graph: ['Mail.Send'] },
  { name: 'Calendar sync service', kind: 'daemon', graph: ['Calendars.Read'] },
  { name: 'Document archive job', kind: 'daemon', graph: ['Sites.Read.All'] },
  { name: 'Password expiry notifier', kind: 'daemon', graph: ['User.Read.All', 'Mail.Send'] },
  { name: 'Sign-in log exporter', kind: 'daemon', graph: ['AuditLog.Read.All'] },
  { name: 'ERP user sync', kind: 'daemon', graph: ['User.Read.All'] },
  { name: 'Shared mailbox triage bot', kind: 'daemon', graph: ['Mail.ReadWrite'] },
  { name: 'Domain inventory script', kind: 'daemon', graph: ['Domain.Read.All'] },
  { name: '{Org} Mobile App', kind: 'client', audience: 'AzureADMultipleOrgs', graph: ['User.Read', 'offline_access'] },
  { name: '{Org} Customer Portal', kind: 'web', audience: 'AzureADandPersonalMicrosoftAccount', graph: ['User.Read'] },
  { name: 'Outlook add-in - CRM sidebar', kind: 'web', audience: 'AzureADMultipleOrgs', graph: ['User.Read', 'Mail.Read'] },
  { name: 'Teams bot - IT helper', kind: 'web', audience: 'AzureADMultipleOrgs', graph: ['User.Read'] },
  { name: 'Graph Explorer test', kind: 'client', graph: ['User.Read'] },
  { name: 'Postman testing', kind: 'client', graph: ['User.Read'] },
  { name: 'dev-test-app', kind: 'web', graph: ['User.Read'] },
  { name: 'test app 2', kind: 'web', graph: [] },
  { name: 'Demo - do not delete', kind: 'web', graph: ['User.Read'] },
  { name: 'SPFx web part API', kind: 'api', graph: ['User.Read'] },
  { name: 'Power Apps custom connector', kind: 'api', graph: ['User.Read'] },
  { name: 'Azure Function - webhook receiver', kind: 'api', graph: [] },
  { name: 'Dataverse integration', kind: 'daemon', graph: [] },
  { name: 'Key Vault reader - ops', kind: 'daemon', graph: [] },
  { name: 'Uptime monitoring probe', kind: 'daemon', graph: [] },
  { name: 'Orders API', kind: 'api', graph: [] },
  { name: 'Inventory API', kind: 'api', graph: [] },
  { name: 'Payroll export', kind: 'daemon', graph: ['User.Read.All'] },
  { name: 'Kiosk sign-in', kind: 'client', graph: ['User.Read'] },
  { name: 'Data warehouse loader', kind: 'daemon', graph: [] },
  { name: 'Print management', kind: 'web', graph: ['User.Read'] },
  { name: 'Survey tool', kind: 'web', graph: ['User.Read'] },
];

export interface VendorTemplate {
  displayName: string;
  publisher: string;
  homepage: string;
  /** Delegated Graph scopes users consented to. */
  scopes: string[];
}

/** Third-party SaaS apps users signed in to: service principals only, the apps live in their vendors' tenants. */
export const VENDOR_CATALOGUE: readonly VendorTemplate[] = [
  { displayName: 'Zoom', publisher: 'Zoom Video Communications, Inc.', homepage: 'https://zoom.us/', scopes: ['openid', 'profile', 'email', 'offline_access', 'User.Read', 'Calendars.Read'] },
  { displayName: 'Slack', publisher: 'Slack Technologies, LLC', homepage: 'https://slack.com/', scopes: ['openid', 'profile', 'email', 'User.Read'] },
  { displayName: 'DocuSign', publisher: 'DocuSign, Inc.', homepage: 'https://www.docusign.com/', scopes: ['openid', 'profile', 'User.Read', 'offline_access'] },
  { displayName: 'Adobe Acrobat Sign', publisher: 'Adobe Inc.', homepage: 'https://www.adobe.com/sign.html', scopes: ['openid', 'profile', 'User.Read'] },
  { displayName: 'Salesforce', publisher: 'Salesforce.com, Inc.', homepage: 'https://www.salesforce.com/', scopes: ['openid', 'profile', 'email', 'User.Read'] },
  { displayName: 'ServiceNow', publisher: 'ServiceNow, Inc.', homepage: 'https://www.servicenow.com/', scopes: ['openid', 'profile', 'User.Read', 'User.ReadBasic.All'] },
  { displayName: 'Atlassian Cloud', publisher: 'Atlassian', homepage: 'https://www.atlassian.com/', scopes: ['openid', 'profile', 'email', 'User.Read'] },
  { displayName: 'Dropbox Business', publisher: 'Dropbox, Inc.', homepage: 'https://www.dropbox.com/business', scopes: ['openid', 'profile', 'User.Read', 'Files.Read.All'] },
  { displayName: 'Miro', publisher: 'RealtimeBoard, Inc.', homepage: 'https://miro.com/', scopes: ['openid', 'profile', 'email', 'User.Read'] },
  { displayName: 'Calendly', publisher: 'Calendly LLC', homepage: 'https://calendly.com/', scopes: ['openid', 'profile', 'offline_access', 'User.Read', 'Calendars.Read'] },
  { displayName: 'Smartsheet', publisher: 'Smartsheet Inc.', homepage: 'https://www.smartsheet.com/', scopes: ['openid', 'profile', 'User.Read'] },
  { displayName: 'Box', publisher: 'Box, Inc.', homepage: 'https://www.box.com/', scopes: ['openid', 'profile', 'User.Read', 'Files.Read.All'] },
  { displayName: 'Asana', publisher: 'Asana, Inc.', homepage: 'https://asana.com/', scopes: ['openid', 'profile', 'email', 'User.Read'] },
  { displayName: 'Grammarly', publisher: 'Grammarly, Inc.', homepage: 'https://www.grammarly.com/', scopes: ['openid', 'profile', 'User.Read'] },
];

/** Backup products that register an app in the customer's tenant through their setup wizard (the decoy that must not be flagged high). */
export const BACKUP_PRODUCTS: readonly { product: string; vendor: string; egressRanges: readonly string[] }[] = [
  // egressRanges: the /24 networks each vendor documents for allow-listing its service (prefixes of the addresses it signs in from).
  { product: 'Vaultwise Backup for Microsoft 365', vendor: 'Vaultwise Software', egressRanges: ['20.61.12.', '20.61.13.'] },
  { product: 'Keepsafe M365 Backup', vendor: 'Keepsafe Data AG', egressRanges: ['51.138.40.', '51.138.41.'] },
  { product: 'Redstone Cloud Backup for Exchange Online', vendor: 'Redstone Systems', egressRanges: ['40.74.28.', '40.74.29.'] },
  { product: 'ArcRetain Backup for Microsoft 365', vendor: 'ArcRetain Ltd', egressRanges: ['52.232.96.', '52.232.97.'] },
];

/** Archiving services consumed as a multi-tenant app owned by the vendor's tenant. */
export const ARCHIVE_SERVICES: readonly { product: string; vendor: string; homepage: string }[] = [
  { product: 'Journalyst Cloud Archive', vendor: 'Journalyst Inc.', homepage: 'https://www.journalyst.example/' },
  { product: 'MailCellar Archiving', vendor: 'MailCellar GmbH', homepage: 'https://mailcellar.example/' },
  { product: 'Stacksafe Email Archive', vendor: 'Stacksafe Corp.', homepage: 'https://stacksafe.example/' },
];

/** Name pools for the users beyond the named people (the `users` knob); drawn per user index so any count builds the same prefix. */
export const BULK_NAMES: Record<ScenarioName, { given: readonly string[]; surnames: readonly string[]; jobs: readonly string[] }> = {
  contoso: {
    given: ['James', 'Mary', 'Robert', 'Patricia', 'John', 'Jennifer', 'Michael', 'Linda', 'David', 'Elizabeth', 'William', 'Barbara', 'Richard', 'Susan', 'Joseph', 'Jessica', 'Thomas', 'Sarah', 'Carlos', 'Karen', 'Daniel', 'Lisa', 'Matthew', 'Nancy', 'Anthony', 'Sandra', 'Mark', 'Ashley', 'Wei', 'Priya', 'Ahmed', 'Sofia', 'Kenji', 'Olivia', 'Mateo', 'Chloe', 'Andre', 'Grace', 'Noah', 'Zoe'],
    surnames: ['Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez', 'Hernandez', 'Lopez', 'Wilson', 'Anderson', 'Thomas', 'Taylor', 'Moore', 'Jackson', 'Martin', 'Lee', 'Thompson', 'White', 'Harris', 'Clark', 'Lewis', 'Robinson', 'Walker', 'Young', 'Allen', 'King', 'Wright', 'Scott', 'Nguyen', 'Hill', 'Chen', 'Patel', 'Kim', 'Singh', 'Baker', 'Adams'],
    jobs: ['Sales Rep', 'Account Executive', 'Marketing Specialist', 'Software Engineer', 'Support Engineer', 'Accountant', 'Analyst', 'Project Manager', 'HR Generalist', 'Designer', 'Product Manager', 'Consultant', 'Recruiter', 'Paralegal', 'Buyer', 'Administrative Assistant'],
  },
  fabrikam: {
    given: ['Daan', 'Emma', 'Sem', 'Julia', 'Lucas', 'Mila', 'Levi', 'Tess', 'Finn', 'Sophie', 'Milan', 'Zoë', 'Bram', 'Sara', 'Thijs', 'Anna', 'Jesse', 'Eva', 'Ruben', 'Lotte', 'Mohamed', 'Fatima', 'Piotr', 'Agnieszka', 'Klaus', 'Greta', 'Ahmet', 'Ayşe', 'Joost', 'Femke', 'Koen', 'Iris', 'Stijn', 'Noor', 'Wouter', 'Lieke', 'Matteo', 'Giulia', 'Pedro', 'Inês'],
    surnames: ['de Jong', 'Jansen', 'de Vries', 'van den Berg', 'van Dijk', 'Bakker', 'Janssen', 'Visser', 'Smit', 'Meijer', 'de Boer', 'Mulder', 'de Groot', 'Bos', 'Vos', 'Peters', 'Hendriks', 'van Leeuwen', 'Dekker', 'Brouwer', 'de Wit', 'Dijkstra', 'Smits', 'de Graaf', 'van der Meer', 'Kok', 'Jacobs', 'Vermeulen', 'van den Heuvel', 'Schouten', 'Kowalski', 'Müller', 'Yildiz', 'El Amrani', 'Rossi', 'Silva', 'Novak', 'Hansen', 'Weber', 'Kaya'],
    jobs: ['Production Operator', 'Process Engineer', 'Planner', 'Buyer', 'Sales Engineer', 'Warehouse Operator', 'Quality Inspector', 'Maintenance Technician', 'Controller', 'Customer Service Agent', 'Logistics Planner', 'HR Advisor', 'R&D Engineer', 'Shift Lead', 'Purchasing Assistant', 'IT Support'],
  },
};

/** Extra admin roles handed to some bulk users (a mid-size tenant has helpdesk and user admins, a security reader…). */
export const BULK_ADMIN_ROLES: readonly DirectoryRoleKey[] = ['helpdeskAdministrator', 'userAdministrator', 'reportsReader', 'securityAdministrator', 'privilegedRoleAdministrator'];
