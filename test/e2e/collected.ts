// E2E helpers: one collected contoso case file made per spec file, and a copy of it put in a test's recent list.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Harness } from './fixtures';
import { collectedCase } from '../support/collected-case';
import { openCase } from '../../main/case/case';
import { closeDatabase } from '../../db/connection';

export interface PreparedCase {
  dir: string;
  file: string;
  name: string;
}

/** One full collection of the contoso scenario (directory, logs, Exchange) as a consistent handover file, WAL folded in. */
export async function prepareCollectedCase(prefix: string): Promise<PreparedCase> {
  const collected = await collectedCase({ scenario: 'contoso', seed: 1 });
  try {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    const file = path.join(dir, 'contoso.peregrine');
    collected.db.prepare('VACUUM INTO ?').run(file);
    const { db, summary } = openCase(file);
    closeDatabase(db);
    return { dir, file, name: summary.name };
  } finally {
    await collected.dispose();
  }
}

/** Puts a copy of the prepared case in this test's cases folder and in the recent list Start shows; returns its name. */
export function listInRecent(harness: Harness, prepared: PreparedCase | null): string {
  if (!prepared) throw new Error('the collected case was not prepared');
  const file = path.join(harness.casesDir, path.basename(prepared.file));
  fs.mkdirSync(harness.casesDir, { recursive: true });
  fs.copyFileSync(prepared.file, file);
  const { db, summary } = openCase(file);
  closeDatabase(db);
  // The browser host reads its recent list from the workbench's home folder (fixtures.ts: <dir>/home).
  const home = path.join(harness.dir, 'home');
  fs.mkdirSync(home, { recursive: true });
  const recent = [{ caseId: summary.caseId, name: summary.name, fileName: summary.fileName, lastOpenedAt: new Date().toISOString(), file }];
  fs.writeFileSync(path.join(home, 'recent-cases.json'), JSON.stringify(recent));
  return summary.name;
}

/** What changed in the tenant between the two collections of `prepareRecollectedCase`. */
export interface Recollected extends PreparedCase {
  /** The attacker's connector, deleted and made again under its name (a new Guid). */
  connector: { name: string; oldGuid: string; newGuid: string };
  /** One of the attacker's transport rules, removed. */
  removedRule: { guid: string; name: string };
  /** The scenario's compromised admin. */
  admin: string;
}

/**
 * The contoso scenario collected, changed as a cleanup cycle and a partial remediation would change it (the malicious
 * connector re-created under its name, one malicious transport rule removed), and collected again into the same case.
 */
export async function prepareRecollectedCase(prefix: string): Promise<Recollected> {
  const collected = await collectedCase({ scenario: 'contoso', seed: 1, eventsPerUserPerDay: 0.5 });
  try {
    const state = collected.sim.exchange.state;
    const truth = collected.sim.groundTruth.exchange!;
    const spec = state.removeInboundConnector(truth.maliciousInboundConnectors[0]!.guid)!;
    const newGuid = '0badc0de-1111-4222-8333-444455556666';
    state.inboundConnectors.push({ ...spec, guid: newGuid, createdMs: spec.createdMs + 86_400_000, changedMs: spec.createdMs + 86_400_000 });
    const rule = truth.maliciousTransportRules[0]!;
    state.removeTransportRule(rule.guid);
    await collected.collectAgain();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    const file = path.join(dir, 'contoso.peregrine');
    collected.db.prepare('VACUUM INTO ?').run(file);
    const { db, summary } = openCase(file);
    closeDatabase(db);
    return {
      dir, file, name: summary.name,
      connector: { name: spec.name, oldGuid: spec.guid, newGuid },
      removedRule: { guid: rule.guid, name: rule.name },
      admin: collected.sim.groundTruth.compromisedUser.userPrincipalName,
    };
  } finally {
    await collected.dispose();
  }
}
