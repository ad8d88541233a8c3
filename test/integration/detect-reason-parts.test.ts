// Vitest (plain Node): a finding's reason given as sentences with their values (Finding.reasonParts) on the contoso
// scenario (the attacker's connector live) and fabrikam (only in the audit history): every sentence has its text in both
// catalogs with the variables it is given, and the Japanese the screens show names the same connector and addresses.
import { afterEach, describe, expect, it } from 'vitest';
import { collectedForSuite } from '../support/collected-case';
import { en } from '../../renderer/i18n/en';
import { ja } from '../../renderer/i18n/ja';
import { i18next } from '../../renderer/i18n';
import { reasonText } from '../../renderer/features/findings/findingText';
import type { Finding } from '../../preload/contract';

const at = (catalog: object, key: string): unknown => key.split('.').reduce<unknown>((node, k) => (node as Record<string, unknown> | undefined)?.[k], catalog);
const variables = (text: string) => new Set([...text.matchAll(/\{\{\s*(\w+)/g)].map((m) => m[1]!));

function checkParts(findings: Finding[]): void {
  const keyed = findings.filter((f) => f.reasonParts);
  expect(keyed.length).toBeGreaterThan(0);
  for (const f of keyed) {
    for (const part of f.reasonParts!) {
      for (const [lang, catalog] of [['en', en], ['ja', ja]] as const) {
        const text = at(catalog, `reason.${part.key}`);
        expect(typeof text, `${lang} reason.${part.key}`).toBe('string');
        expect([...variables(text as string)].sort(), `${lang} reason.${part.key}`).toEqual(Object.keys(part.values).sort());
      }
    }
  }
}

afterEach(async () => {
  await i18next.changeLanguage('en');
});

describe('connector reasons on contoso (live)', () => {
  const suite = collectedForSuite({ scenario: 'contoso', seed: 1 });

  it('has every sentence in both languages, and Japanese names what the English names', async () => {
    const connector = suite.report.findings.find((f) => f.ruleId === 'exchange.suspicious-inbound-connector' && f.severity !== 'low')!;
    expect(connector.reason).toMatch(/^Inbound connector "Ran_[a-z]{5}" is configured and accepts mail from /);
    checkParts(suite.report.findings);
    expect(reasonText(connector)).toBe(connector.reason);
    await i18next.changeLanguage('ja');
    const said = reasonText(connector);
    expect(said).toMatch(/^受信コネクタ「Ran_[a-z]{5}」が構成されており、/);
    for (const ip of connector.iocs.filter((i) => i.type === 'connector-sender-ip')) expect(said).toContain(ip.value);
    expect(said).not.toMatch(/Inbound connector|made through/);
  });
});

describe('connector reasons on fabrikam (removed, in the audit history)', () => {
  const suite = collectedForSuite({ scenario: 'fabrikam', seed: 1 });

  it('says the removed connectors in both languages', async () => {
    checkParts(suite.report.findings);
    const removed = suite.report.findings.filter((f) => f.reasonParts?.some((p) => p.key.startsWith('connector.removed')));
    expect(removed.length).toBeGreaterThan(0);
    await i18next.changeLanguage('ja');
    for (const f of removed) expect(reasonText(f)).toContain('統合監査ログによれば現在は削除済み');
  });
});
