// Vitest (plain Node): a finding's reason given as sentences with their values (Finding.reasonParts), and what each
// indicator is (Ioc.contextPart), on the contoso scenario (the attacker's connector live) and fabrikam (only in the audit
// history): every rule that fires says its reason in both catalogs, and the Japanese screen says it in Japanese, naming
// the same connector, addresses and terms as the English. The rules that need records these scenarios do not make are
// checked the same way in detect-persistence.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import { collectedForSuite } from '../support/collected-case';
import { JAPANESE, KEPT_TERMS, expectSaidInJapanese, latinWords } from '../support/reason-text';
import { en } from '../../renderer/i18n/en';
import { ja } from '../../renderer/i18n/ja';
import { i18next } from '../../renderer/i18n';
import { reasonText, subjectName } from '../../renderer/features/findings/findingText';
import { RULES } from '../../main/detect/rules';

/** Rules checked in detect-persistence.test.ts (their records are added there), and the spray, which neither scenario makes. */
const ELSEWHERE = new Set(['identity.auth-method-added', 'app.owner-added', 'audit.logging-disabled', 'mail.app-mailbox-access', 'signin.password-spray']);
const fired = new Set<string>();

afterEach(async () => {
  await i18next.changeLanguage('en');
});

const leaves = (tree: object, prefix = ''): [string, string][] =>
  Object.entries(tree).flatMap(([k, v]) => (typeof v === 'string' ? [[`${prefix}${k}`, v] as [string, string]] : leaves(v as object, `${prefix}${k}.`)));

describe('the catalogs of reasons and indicators', () => {
  it('say every sentence in Japanese, keeping only technical terms in Latin letters', () => {
    for (const section of ['reason', 'iocContext', 'subjectName'] as const) {
      const japanese = new Map(leaves(ja[section]));
      for (const [key, english] of leaves(en[section])) {
        const text = japanese.get(key);
        expect(text, `${section}.${key}`).toMatch(JAPANESE);
        const words = latinWords(text!.replace(/\{\{[^}]*\}\}/g, ' '));
        expect(words.filter((w) => !KEPT_TERMS.has(w)), `${section}.${key}: ${text}`).toEqual([]);
        // A kept term is one the English says too: the Japanese adds no English of its own.
        expect(words.filter((w) => !english.toLowerCase().includes(w.replace(/-$/, '').toLowerCase())), `${section}.${key}: ${english}`).toEqual([]);
      }
    }
  });
});

describe('reasons on contoso (live)', () => {
  const suite = collectedForSuite({ scenario: 'contoso', seed: 1 });

  it('says every finding in Japanese', async () => {
    for (const f of suite.report.findings) fired.add(f.ruleId);
    await expectSaidInJapanese(suite.report.findings);
  });

  it('says what the header-stripping finding is about in Japanese, and the same in English as before', async () => {
    const rules = suite.report.findings.find((f) => f.ruleId === 'exchange.header-stripping-rule')!;
    expect(subjectName(rules)).toBe(rules.subject.name);
    await i18next.changeLanguage('ja');
    expect(subjectName(rules)).toBe(`${rules.subject.name!.split(' ')[0]} 個のトランスポート ルール`);
  });

  it('names what the English names: the connector and its addresses', async () => {
    const connector = suite.report.findings.find((f) => f.ruleId === 'exchange.suspicious-inbound-connector' && f.severity !== 'low')!;
    expect(connector.reason).toMatch(/^Inbound connector "Ran_[a-z]{5}" is configured and accepts mail from /);
    expect(reasonText(connector)).toBe(connector.reason);
    await i18next.changeLanguage('ja');
    const said = reasonText(connector);
    expect(said).toMatch(/^受信コネクタ「Ran_[a-z]{5}」が構成されており、/);
    for (const ip of connector.iocs.filter((i) => i.type === 'connector-sender-ip')) expect(said).toContain(ip.value);
    expect(said).not.toMatch(/Inbound connector|made through/);
  });

  it('keeps the storyline a numbered list of its links, in Japanese', async () => {
    const story = suite.report.findings.find((f) => f.ruleId === 'storyline.oauth-mail-abuse')!;
    await i18next.changeLanguage('ja');
    const said = reasonText(story);
    const links = story.reason.match(/(?:^|\s)\d+\.\s/g)!.length;
    expect(said.match(/(?:^|\s)\d+\.\s/g)?.length).toBe(links);
    expect(said).toContain('Exchange.ManageAsApp への同意');
  });
});

describe('reasons on fabrikam (removed, in the audit history)', () => {
  const suite = collectedForSuite({ scenario: 'fabrikam', seed: 1 });

  it('says every finding in Japanese, the removed connectors too', async () => {
    for (const f of suite.report.findings) fired.add(f.ruleId);
    await expectSaidInJapanese(suite.report.findings);
    const removed = suite.report.findings.filter((f) => f.reasonParts?.some((p) => p.key.startsWith('connector.removed')));
    expect(removed.length).toBeGreaterThan(0);
    await i18next.changeLanguage('ja');
    for (const f of removed) expect(reasonText(f)).toContain('統合監査ログによれば現在は削除済み');
  });
});

describe('coverage', () => {
  it('has every other rule fire on contoso or fabrikam', () => {
    expect(RULES.map((r) => r.id).filter((id) => !ELSEWHERE.has(id) && !fired.has(id))).toEqual([]);
  });
});
