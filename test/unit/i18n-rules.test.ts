// The rules in Japanese: every rule has its title, explanation and remediation step translated, and every technical
// term of the English (cmdlet, permission, header and property names, error codes, API paths) is kept as written.
import { describe, expect, it } from 'vitest';
import { RULES } from '../../main/detect/rules';
import { RULES_JA } from '../../renderer/i18n/rules-ja';
import { ruleText } from '../../renderer/i18n/rules';

/** Words a translation must not touch: Verb-Noun cmdlets, dotted permissions, CamelCase names, codes, paths, `$true`. */
function technicalTerms(text: string): string[] {
  const patterns = [
    /\b[A-Z][a-z]+-[A-Z][A-Za-z]+\b/g, // New-InboundConnector, Set-Mailbox, X-MS-Exchange-… heads
    /\b[A-Za-z]+(?:\.[A-Za-z]+)+\b/g, // Exchange.ManageAsApp, Mail.ReadWrite, Directory.ReadWrite.All
    /\b[a-z]+[A-Z][A-Za-z]+\b/g, // removePassword, keyCredentials, accountEnabled
    /(?<![.\w-])[A-Z][a-z]+[A-Z][A-Za-z]*\b/g, // RemoveHeader, ForwardingSmtpAddress, MailItemsAccessed
    /\b\d{5}\b/g, // AADSTS-style error numbers
    /\/[a-z]+\/\{[a-z]+\}(?:\/[^\s,)]*[^\s,).])?/g, // /applications/{id}/owners/{owner}/$ref
    /\$(?:true|false|null)\b/g,
    /(?<=\s)-[A-Z][A-Za-z]+\b/g, // PowerShell parameters
  ];
  const found = new Set<string>();
  for (const p of patterns) for (const m of text.matchAll(p)) found.add(m[0]);
  return [...found];
}

describe('rules in Japanese', () => {
  it('cover every rule and no other', () => {
    expect(Object.keys(RULES_JA).sort()).toEqual(RULES.map((r) => r.id).sort());
  });

  it.each(RULES.map((r) => [r.id, r] as const))('%s keeps every technical term of the English', (id, rule) => {
    const ja = RULES_JA[id]!;
    const missing = (['title', 'explanation', 'step'] as const).flatMap((field) => {
      const english = field === 'step' ? rule.remediation.step : rule[field];
      return technicalTerms(english).filter((term) => !ja[field].includes(term)).map((term) => `${field}: ${term}`);
    });
    expect(missing).toEqual([]);
    // Translated, not copied: each text is largely Japanese (a step made of cmdlets has less of it).
    for (const text of Object.values(ja)) expect(text.match(/[\u3040-\u30ff\u4e00-\u9fff]/g)?.length ?? 0).toBeGreaterThan(Math.max(5, text.length / 8));
  });

  it('finds the terms it checks for', () => {
    expect(technicalTerms('Run Set-Mailbox -ForwardingSmtpAddress $null; Exchange.ManageAsApp via removePassword (50126), DELETE /applications/{id}/owners/{owner}/$ref.').sort()).toEqual(
      ['$null', '-ForwardingSmtpAddress', '/applications/{id}/owners/{owner}/$ref', '50126', 'Exchange.ManageAsApp', 'Set-Mailbox', 'removePassword'].sort(),
    );
  });
});

describe('rule texts by language', () => {
  const finding = { ruleId: 'app.owner-added', title: 'Owner added to an app', explanation: 'E', remediation: { phase: 'eradicate' as const, step: 'S' } };

  it('gives the Japanese for ja and the finding\'s own English otherwise, and English for a rule with no translation', () => {
    expect(ruleText('ja', finding).title).toBe('アプリに所有者が追加された');
    expect(ruleText('en', finding)).toEqual({ title: 'Owner added to an app', explanation: 'E', step: 'S' });
    expect(ruleText('ja', { ...finding, ruleId: 'rule.from-a-newer-version' })).toEqual({ title: 'Owner added to an app', explanation: 'E', step: 'S' });
    expect(ruleText('ja', { ruleId: 'app.owner-added', title: 'Owner added to an app' }).step).toMatch(/^誰も説明できない所有者を削除します/);
  });
});
