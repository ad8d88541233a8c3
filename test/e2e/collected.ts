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
