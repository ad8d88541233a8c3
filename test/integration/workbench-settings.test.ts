// Settings through the workbench: kept outside every case file, checked field by field, and what matters to a case
// (the engagement's own apps, accounts never to touch) recorded in its custody when it changes and when a case opens.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dispatch } from '../../main/host/dispatch';
import { createWorkbench, type Workbench } from '../../main/host/workbench';
import { tsxWorkerEntry } from '../../main/jobs/tsx-entry';
import { loadSettings, saveSettings, settingsFile, SettingsSchema } from '../../main/settings/store';
import { openCase } from '../../main/case/case';
import { closeDatabase } from '../../db/connection';
import { listCustody } from '../../db/queries/custody';
import { recordedEngagement } from '../../db/queries/engagement';
import { engagementAppIds } from '../../main/detect/engine';
import { verifyCaseFile } from '../../main/case/verify';
import type { CaseSummary, Result, SettingsView } from '../../preload/contract';

const OURS = '6E053D8A-3378-460F-BFAA-3EB49F6B16DE';
const BREAK_GLASS = 'BreakGlass@Contoso.onmicrosoft.com';

let dir: string;
const workbenches: Workbench[] = [];
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-settings-'));
});
afterEach(async () => {
  for (const w of workbenches.splice(0)) await w.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function workbench() {
  const w = createWorkbench({
    host: 'browser', toolVersion: '0.0.0-test', casesDir: path.join(dir, 'cases'), homeDir: path.join(dir, 'home'), keyDir: path.join(dir, 'keys'),
    environment: null, collectionWorker: tsxWorkerEntry(),
  });
  workbenches.push(w);
  const call = async <T>(channel: string, input: unknown = {}) => (await dispatch(w.handlers, channel, input)) as Result<T>;
  return { w, call };
}

function custodyOf(file: string) {
  const { db } = openCase(file, { readonly: true });
  try {
    return { entries: listCustody(db), facts: recordedEngagement(db), ours: [...engagementAppIds(db)] };
  } finally {
    closeDatabase(db);
  }
}

describe('settings', () => {
  it('start as defaults, are saved outside the case with mode 600, and refuse a bad value naming the field', async () => {
    const { call } = workbench();
    expect(await call<SettingsView>('settings.get')).toEqual({
      ok: true,
      value: { examiner: '', collectionClientId: '', remediationClientId: '', engagementAppIds: [], breakGlass: [], defaultTimeZone: '', recordedInCase: null },
    });
    const saved = await call<SettingsView>('settings.update', { engagementAppIds: [OURS, OURS.toLowerCase()], breakGlass: [BREAK_GLASS], defaultTimeZone: 'Asia/Tokyo' });
    expect(saved).toEqual({
      ok: true,
      value: { examiner: '', collectionClientId: '', remediationClientId: '', engagementAppIds: [OURS.toLowerCase()], breakGlass: [BREAK_GLASS.toLowerCase()], defaultTimeZone: 'Asia/Tokyo', recordedInCase: null },
    });
    const file = settingsFile(path.join(dir, 'home'));
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(loadSettings(path.join(dir, 'home')).breakGlass).toEqual([BREAK_GLASS.toLowerCase()]);

    for (const [input, message] of [
      [{ engagementAppIds: ['not-a-guid'] }, /^The settings has an invalid engagementAppIds\.0: must be an app id \(a GUID\)\.$/],
      [{ breakGlass: ['just a name'] }, /invalid breakGlass\.0: must be a user principal name/],
      [{ defaultTimeZone: 'Mars/Olympus' }, /invalid defaultTimeZone: must be a time zone name/],
      [{ examiner: 'two\nlines' }, /invalid examiner: must be one line/],
    ] as const) {
      const refused = await call('settings.update', input);
      expect(refused.ok).toBe(false);
      if (!refused.ok) expect(refused.error).toMatchObject({ code: 'invalid_input', message: expect.stringMatching(message) });
    }
    // Refusals changed nothing.
    expect(loadSettings(path.join(dir, 'home')).defaultTimeZone).toBe('Asia/Tokyo');
  });

  it('says which file and field are wrong in a settings file edited by hand, and never overwrites it on read', async () => {
    const home = path.join(dir, 'home');
    fs.mkdirSync(home, { recursive: true });
    fs.writeFileSync(settingsFile(home), JSON.stringify({ breakGlass: ['x'] }));
    const { call } = workbench();
    const read = await call('settings.get');
    expect(read.ok).toBe(false);
    if (!read.ok) expect(read.error).toMatchObject({ code: 'settings_invalid', message: expect.stringMatching(/^The settings file .*settings\.json has an invalid breakGlass\.0/) });
    expect(fs.readFileSync(settingsFile(home), 'utf8')).toBe(JSON.stringify({ breakGlass: ['x'] }));
    fs.writeFileSync(settingsFile(home), '{ not json');
    expect(() => loadSettings(home)).toThrow(/is not valid JSON .*Nothing was changed/);
  });

  it('records the engagement facts in the open case when they change, once, and detection counts the apps as ours', async () => {
    const { w, call } = workbench();
    const created = await call<CaseSummary>('case.create', { name: 'Contoso', examiner: 'A. Examiner' });
    if (!created.ok) throw new Error(created.error.message);
    const file = w.currentCaseFile()!;
    const first = await call<SettingsView>('settings.update', { engagementAppIds: [OURS], breakGlass: [BREAK_GLASS] });
    expect(first).toMatchObject({ ok: true, value: { recordedInCase: true } });
    // The same facts again, or a change that does not matter to the case: no new entry.
    expect(await call<SettingsView>('settings.update', { engagementAppIds: [OURS.toLowerCase()], breakGlass: [BREAK_GLASS] })).toMatchObject({ ok: true, value: { recordedInCase: false } });
    expect(await call<SettingsView>('settings.update', { defaultTimeZone: 'UTC' })).toMatchObject({ ok: true, value: { recordedInCase: false } });
    await call('case.close');
    const after = custodyOf(file);
    const recorded = after.entries.filter((e) => e.action === 'engagement.settings');
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({ actor: 'A. Examiner', details: { engagementAppIds: [OURS.toLowerCase()], breakGlass: [BREAK_GLASS.toLowerCase()] } });
    expect(after.facts).toEqual({ engagementAppIds: [OURS.toLowerCase()], breakGlass: [BREAK_GLASS.toLowerCase()] });
    expect(after.ours).toEqual([OURS.toLowerCase()]);
    expect(verifyCaseFile(file, { deep: true })).toMatchObject({ ok: true, problems: [] });
  });

  it('records the settings in a case created after they changed, and leaves a case that is only opened as it was', async () => {
    const { w, call } = workbench();
    const created = await call<CaseSummary>('case.create', { name: 'Fabrikam', examiner: 'B. Examiner' });
    if (!created.ok) throw new Error(created.error.message);
    const file = w.currentCaseFile()!;
    // A case created with no engagement facts keeps no empty entry.
    await call('case.close');
    expect(custodyOf(file).entries.some((e) => e.action === 'engagement.settings')).toBe(false);
    saveSettings(path.join(dir, 'home'), SettingsSchema.parse({ breakGlass: [BREAK_GLASS] }));
    expect((await call('case.open', { caseId: created.value.caseId })).ok).toBe(true);
    await call('case.close');
    expect(custodyOf(file).entries.some((e) => e.action === 'engagement.settings')).toBe(false);
    const second = await call<CaseSummary>('case.create', { name: 'Northwind', examiner: 'B. Examiner' });
    if (!second.ok) throw new Error(second.error.message);
    const secondFile = w.currentCaseFile()!;
    await call('case.close');
    expect(custodyOf(secondFile).facts).toEqual({ engagementAppIds: [], breakGlass: [BREAK_GLASS.toLowerCase()] });
  });
});
