// The engagement's own apps: recognised by app id in every sign-in mode, rated info, kept out of the storyline and the
// indicators — while an attacker's app that takes our name is still flagged.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectedCase, type CollectedCase } from '../support/collected-case';
import { detect } from '../../main/detect/engine';
import { applicationRows } from '../../main/detect';
import { iocCsv, iocStix } from '../../main/detect/iocs';
import { DEFAULT_EXCHANGE_CLIENT_ID, DEFAULT_GRAPH_CLIENT_ID, cloudEnvironment, engagementApps, engagementAppsFor } from '../../main/auth/environment';
import type { DetectionReport, Finding } from '../../preload/contract';

const IOC_OPTIONS = { caseId: '00000000-0000-4000-8000-000000000001', caseName: 'own apps', examiner: 'Examiner', now: new Date('2026-01-01T00:00:00Z'), toolVersion: 'test' };

function findingsAbout(report: DetectionReport, ids: string[]): Finding[] {
  const wanted = new Set(ids.map((i) => i.toLowerCase()));
  return report.findings.filter((f) => wanted.has(f.subject.id.toLowerCase()) || (f.subject.id.startsWith('mail:') && wanted.has(f.subject.id.slice(5).toLowerCase())));
}

describe('engagement app ids', () => {
  it('keeps the engagement\'s own registrations and never Microsoft\'s shared public clients', () => {
    const own = '6E053D8A-3378-460F-BFAA-3EB49F6B16DE';
    expect(engagementApps([DEFAULT_GRAPH_CLIENT_ID, DEFAULT_EXCHANGE_CLIENT_ID, own, own.toLowerCase(), null, ''])).toEqual(['6e053d8a-3378-460f-bfaa-3eb49f6b16de']);
    // A real tenant with Microsoft Graph Command Line Tools: nothing of ours until Settings names an app.
    expect(cloudEnvironment('commercial', 'contoso.onmicrosoft.com').engagementAppIds).toEqual([]);
    // The consultancy's own client id is ours.
    expect(cloudEnvironment('commercial', 'contoso.onmicrosoft.com', own).engagementAppIds).toEqual([own.toLowerCase()]);
    // An app-only sign-in adds the app it signed in as; a delegated one adds nothing.
    const env = cloudEnvironment('commercial', 'contoso.onmicrosoft.com');
    expect(engagementAppsFor(env, 'app:50E7A441-7AB0-4D74-AA7C-72D6BCA6C729')).toEqual(['50e7a441-7ab0-4d74-aa7c-72d6bca6c729']);
    expect(engagementAppsFor(env, 'admin@contoso.onmicrosoft.com')).toEqual([]);
  });
});

describe('a collection of the contoso scenario', () => {
  let c: CollectedCase;
  let report: DetectionReport;
  let ours: string[];
  beforeAll(async () => {
    c = await collectedCase({ scenario: 'contoso' });
    report = detect(c.db);
    const truth = c.sim.groundTruth;
    ours = [truth.engagementApp.appId, truth.engagementApp.servicePrincipalId, truth.engagementApp.applicationObjectId, truth.remediationClient.appId, truth.remediationClient.servicePrincipalId];
  }, 300_000);
  afterAll(async () => c?.dispose());

  it('records the engagement apps with the run', () => {
    const started = c.db.prepare(`SELECT details FROM custody WHERE action = 'collection.started'`).pluck().get() as string;
    const truth = c.sim.groundTruth;
    expect((JSON.parse(started) as { engagementApps: string[] }).engagementApps).toEqual(
      engagementApps([truth.engagementApp.appId, truth.remediationClient.appId, c.sim.environment.clientId]),
    );
  });

  it('rates the findings on our apps info, marks them ours and keeps them out of the storyline', () => {
    const own = findingsAbout(report, ours);
    // Without the engagement apps these are the two medium findings of the persistence stage (the remediation app's
    // high-risk delegated permissions, the collection app's Exchange.ManageAsApp).
    expect(own.map((f) => f.ruleId).sort()).toEqual(['app.exchange-manage-as-app', 'sp.high-risk-permission']);
    for (const f of own) expect(f).toMatchObject({ ours: true, severity: 'info', stage: null, iocs: [] });
    const storylineKeys = new Set(report.storyline.flatMap((s) => s.findingKeys));
    for (const f of own) expect(storylineKeys.has(f.key)).toBe(false);
    expect(report.findings.filter((f) => f.ours).map((f) => f.key).sort()).toEqual(own.map((f) => f.key).sort());
  });

  it('leaves our apps out of the indicators and shows them as ours in evidence', () => {
    const truth = c.sim.groundTruth;
    const csv = iocCsv(report, IOC_OPTIONS).content.toLowerCase();
    const stix = iocStix(report, IOC_OPTIONS).content.toLowerCase();
    for (const id of ours) {
      expect(csv).not.toContain(id.toLowerCase());
      expect(stix).not.toContain(id.toLowerCase());
    }
    expect(csv).toContain(truth.maliciousApp.appId.toLowerCase());
    const rows = applicationRows(c.db, report);
    expect(rows.filter((r) => r.ours).map((r) => r.appId).sort()).toEqual([truth.engagementApp.appId, truth.remediationClient.appId].sort());
  });

  it('still flags the malicious app, which is not ours', () => {
    const truth = c.sim.groundTruth;
    const attacker = findingsAbout(report, [truth.maliciousApp.applicationObjectId, truth.maliciousApp.servicePrincipalId, truth.maliciousApp.appId]);
    expect(attacker.length).toBeGreaterThan(3);
    expect(attacker.every((f) => !f.ours)).toBe(true);
    expect(attacker.some((f) => f.severity === 'critical' || f.severity === 'high')).toBe(true);
  });
});

describe('an attacker app named after ours', () => {
  let c: CollectedCase;
  beforeAll(async () => {
    c = await collectedCase({ scenario: 'contoso', maliciousAppName: 'Peregrine IR collection (read-only)' });
  }, 300_000);
  afterAll(async () => c?.dispose());

  it('is matched by id, not name: its findings stay high, in the storyline and the indicators', () => {
    const truth = c.sim.groundTruth;
    expect(truth.maliciousApp.displayName).toBe('Peregrine IR collection (read-only)');
    const report = detect(c.db);
    const impostor = findingsAbout(report, [truth.maliciousApp.applicationObjectId, truth.maliciousApp.servicePrincipalId, truth.maliciousApp.appId]);
    expect(impostor.length).toBeGreaterThan(3);
    expect(impostor.every((f) => !f.ours)).toBe(true);
    expect(impostor.filter((f) => f.severity === 'critical' || f.severity === 'high').length).toBeGreaterThan(0);
    const storylineKeys = new Set(report.storyline.flatMap((s) => s.findingKeys));
    expect(impostor.some((f) => storylineKeys.has(f.key))).toBe(true);
    expect(iocCsv(report, IOC_OPTIONS).content.toLowerCase()).toContain(truth.maliciousApp.appId.toLowerCase());
    // Ours, with the same name, is still ours.
    const rows = applicationRows(c.db, report);
    const named = rows.filter((r) => r.displayName === 'Peregrine IR collection (read-only)');
    expect(named.map((r) => ({ appId: r.appId, ours: r.ours })).sort((a, b) => a.appId.localeCompare(b.appId))).toEqual(
      [{ appId: truth.maliciousApp.appId, ours: false }, { appId: truth.engagementApp.appId, ours: true }].sort((a, b) => a.appId.localeCompare(b.appId)),
    );
  });
});
