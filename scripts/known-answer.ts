// `npx tsx scripts/known-answer.ts`: regenerates the known-answer case file and signed export under
// test/fixtures/known-answer/ that verify must accept (test/unit/known-answer.test.ts flips their bytes).
// Deterministic: a fixed clock, a fixed case id and the committed test-only Ed25519 key (made once, on the first run).
// Run it again only when the case schema or the export format changes, and commit what it writes.
import { generateKeyPairSync, createPrivateKey } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { closeDatabase } from '../db/connection';
import { insertApplications, insertOrganization, insertServicePrincipals } from '../db/queries/directory';
import { insertEvidence } from '../db/queries/evidence';
import { createCase } from '../main/case/case';
import { sealCase } from '../main/case/seal';
import { verifyCaseFile, verifyExport } from '../main/case/verify';
import { applyWrite } from '../main/collect/writes';
import { examinerKeyFrom } from '../main/sign/keys';
import { exportCase } from '../main/timeline/export';

const DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'test', 'fixtures', 'known-answer');
/** Never an examiner's key: generated for these fixtures only, and committed so that they can be regenerated. */
export const TEST_ONLY_KEY_FILE = 'TEST-ONLY-signing-key.pem';
export const TEST_ONLY_PUBLIC_KEY_FILE = 'TEST-ONLY-signer.pub.pem';
export const CASE_FILE = 'case.peregrine';
export const EXPORT_DIR = 'export';
const CASE_ID = '0a5e0000-4b0e-4a11-8a5e-000000000001';
const RUN_ID = '0a5e0000-4b0e-4a11-8a5e-000000000002';

function main(): void {
  fs.mkdirSync(DIR, { recursive: true });
  const keyFile = path.join(DIR, TEST_ONLY_KEY_FILE);
  if (!fs.existsSync(keyFile)) {
    const { privateKey } = generateKeyPairSync('ed25519');
    fs.writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  }
  const signer = examinerKeyFrom(createPrivateKey(fs.readFileSync(keyFile)), 'Known Answer (test only)');
  fs.writeFileSync(path.join(DIR, TEST_ONLY_PUBLIC_KEY_FILE), signer.publicKeyPem);

  let tick = 0;
  /** Each call one minute later, from a fixed instant. */
  const clock = () => new Date(Date.UTC(2024, 4, 1, 9, tick++));

  const work = fs.mkdtempSync(path.join(DIR, '.work-'));
  try {
    const { db } = createCase(path.join(work, 'working.peregrine'), { name: 'Known answer', examiner: 'Known Answer (test only)', client: 'Contoso' },
      { clock, toolVersion: '0.1.0', caseId: CASE_ID });
    // The migrations record when they ran by the wall clock; pinned here so that the file is the same on every run.
    db.prepare('UPDATE schema_migration SET applied_at = ?').run('2024-05-01T09:00:00.000Z');
    applyWrite(db, { op: 'start', runId: RUN_ID, at: clock().toISOString(), environment: 'contoso', tenantId: 'tid', account: 'ir@contoso.example', actor: 'Known Answer (test only)', plan: [], window: null }, () => undefined);
    const page = (source: string, value: unknown[]) =>
      insertEvidence(db, {
        runId: RUN_ID, source, method: 'GET', url: `https://graph.microsoft.com/v1.0/${source.slice('graph.'.length)}`, status: 200,
        contentType: 'application/json', collectedAt: clock().toISOString(), body: Buffer.from(JSON.stringify({ value })),
      }).id;
    const org = [{ id: 'tid', displayName: 'Contoso', verifiedDomains: [{ name: 'contoso.com', isDefault: true }] }];
    insertOrganization(db, RUN_ID, page('graph.organization', org), org);
    const apps = [
      { id: 'obj-attack', appId: 'aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa', displayName: 'Contoso', signInAudience: 'AzureADMultipleOrgs', createdDateTime: '2024-04-28T02:13:44Z' },
      { id: 'obj-benign', appId: 'bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb', displayName: 'HR Portal', createdDateTime: '2021-01-05T08:00:00Z' },
    ];
    insertApplications(db, RUN_ID, page('graph.applications', apps), apps);
    const sps = [{ id: 'sp-attack', appId: 'aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa', displayName: 'Contoso', appOwnerOrganizationId: 'evil-tenant', createdDateTime: '2024-04-28T02:20:00Z' }];
    insertServicePrincipals(db, RUN_ID, page('graph.servicePrincipals', sps), sps);
    applyWrite(db, { op: 'finish', runId: RUN_ID, state: 'done', at: clock().toISOString(), error: null, actor: 'Known Answer (test only)', entities: [] }, () => undefined);

    const exportDir = path.join(DIR, EXPORT_DIR);
    const caseFile = path.join(DIR, CASE_FILE);
    fs.rmSync(exportDir, { recursive: true, force: true });
    fs.rmSync(caseFile, { force: true });
    exportCase(db, exportDir, { signer, clock, toolVersion: '0.1.0', findings: [{ ruleId: 'app-named-after-tenant', severity: 'high', appId: 'aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa' }] });
    const sealed = sealCase(db, caseFile, { signer, clock });
    closeDatabase(db);
    if (!sealed.report.ok) throw new Error(`the sealed case does not verify: ${JSON.stringify(sealed.report.problems)}`);
    const exported = verifyExport(exportDir);
    if (!exported.ok) throw new Error(`the export does not verify: ${JSON.stringify(exported.problems)}`);
    const again = verifyCaseFile(caseFile);
    if (!again.ok) throw new Error(`the sealed case does not verify: ${JSON.stringify(again.problems)}`);
    console.log(`${CASE_FILE}: ${fs.statSync(caseFile).size} bytes, ${again.checked.evidence} evidence pages, ${again.checked.custody} custody entries`);
    console.log(`${EXPORT_DIR}/: ${fs.readdirSync(exportDir).length} files, signed by ${signer.fingerprint}`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main();
