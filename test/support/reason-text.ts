// Test tooling (Node): checks that a finding's reason and its indicators' descriptions are said in Japanese from the
// catalogs (reason.<key>, iocContext.<key>) — every sentence there in both languages with the variables it is given, and
// no English left but the technical terms the Japanese keeps (cmdlets, properties, permissions, product names).
import { expect } from 'vitest';
import { en } from '../../renderer/i18n/en';
import { ja } from '../../renderer/i18n/ja';
import { i18next } from '../../renderer/i18n';
import { iocContextText, reasonText, subjectName, subjectTypeWord } from '../../renderer/features/findings/findingText';
import type { Finding, ReasonPart } from '../../preload/contract';

export const JAPANESE = /[\u3040-\u30ff\u4e00-\u9fff]/;

/** The only Latin-letter words a Japanese reason or indicator text may hold besides the evidence's own values. */
export const KEPT_TERMS = new Set([
  'Entra', 'MFA', 'userRegistrationDetails.isMfaRegistered', 'false', 'singleFactorAuthentication', 'Exchange.ManageAsApp', 'Office', 'Exchange', 'Online',
  'ID', 'appId', 'Get-AdminAuditLogConfig', 'UnifiedAuditLogIngestionEnabled', 'False', 'Get-OrganizationConfig', 'AuditDisabled', 'True', 'AuditBypassEnabled',
  'Role', 'MailItemsAccessed', 'Test', 'New-', 'Remove-', 'PowerShell', 'ForwardingSmtpAddress', 'Ran_', 'TLS', 'API',
]);

/** Latin-letter words of a text (a trailing hyphen kept: "New-" is a cmdlet verb). */
export const latinWords = (text: string): string[] => [...text.matchAll(/[A-Za-z][\w.-]*/g)].map((m) => m[0].replace(/\.$/, ''));

const at = (catalog: object, key: string): unknown => key.split('.').reduce<unknown>((node, k) => (node as Record<string, unknown> | undefined)?.[k], catalog);
const variables = (text: string) => new Set([...text.matchAll(/\{\{\s*(\w+)/g)].map((m) => m[1]!));

/** Every part has its text in both catalogs, interpolating exactly the values it is given. */
export function expectCatalogued(section: 'reason' | 'iocContext' | 'subjectName', parts: readonly ReasonPart[], where: string): void {
  for (const part of parts) {
    for (const [lang, catalog] of [['en', en], ['ja', ja]] as const) {
      const text = at(catalog, `${section}.${part.key}`);
      expect(typeof text, `${where}: ${lang} ${section}.${part.key}`).toBe('string');
      expect([...variables(text as string)].sort(), `${where}: ${lang} ${section}.${part.key}`).toEqual(Object.keys(part.values).sort());
    }
  }
}

/** The Latin words left in a Japanese text once the values it was given are taken out, that are not kept terms. */
export function englishLeft(said: string, parts: readonly ReasonPart[]): string[] {
  let rest = said;
  const values = parts.flatMap((p) => Object.values(p.values).map(String)).filter((v) => v !== '').sort((a, b) => b.length - a.length);
  for (const v of values) rest = rest.split(v).join(' ');
  return latinWords(rest).filter((w) => !KEPT_TERMS.has(w));
}

/**
 * Each finding gives its reason as catalogued parts, and on the Japanese screen says it — and what each of its
 * indicators is, and what it is about — in Japanese: not main's English, Japanese characters in it, no English word
 * outside the kept terms.
 * Leaves the language as it was.
 */
export async function expectSaidInJapanese(findings: readonly Finding[]): Promise<void> {
  const before = i18next.language;
  await i18next.changeLanguage('ja');
  try {
    for (const f of findings) {
      expect(f.reasonParts?.length ?? 0, `${f.key} gives no reason parts`).toBeGreaterThan(0);
      expectCatalogued('reason', f.reasonParts!, f.key);
      const said = reasonText(f);
      expect(said, f.key).not.toBe(f.reason);
      expect(said, f.key).toMatch(JAPANESE);
      expect(englishLeft(said, f.reasonParts!), `${f.key}: ${said}`).toEqual([]);
      expect(subjectTypeWord(f.subject.type), `${f.key} subject type`).toMatch(JAPANESE);
      if (f.subject.namePart) {
        expectCatalogued('subjectName', [f.subject.namePart], `${f.key} subject`);
        expect(subjectName(f), `${f.key} subject`).toMatch(JAPANESE);
        expect(englishLeft(subjectName(f), [f.subject.namePart]), `${f.key} subject: ${subjectName(f)}`).toEqual([]);
      }
      for (const i of f.iocs) {
        expect(i.contextPart, `${f.key} IOC ${i.value}`).toBeDefined();
        expectCatalogued('iocContext', [i.contextPart!], `${f.key} IOC ${i.value}`);
        const context = iocContextText(i);
        expect(context, `${f.key} IOC ${i.value}`).toMatch(JAPANESE);
        expect(englishLeft(context, [i.contextPart!]), `${f.key} IOC ${i.value}: ${context}`).toEqual([]);
      }
    }
  } finally {
    await i18next.changeLanguage(before);
  }
}
