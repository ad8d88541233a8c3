// Vitest (plain Node): every rule is complete (explanation, ATT&CK, undo step, stage), documented, and the name patterns match variants, not examples.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RULES } from '../../main/detect/rules';
import { campaignNameLabel } from '../../main/detect/rules/apps';
import { CAMPAIGN_CONNECTOR, CAMPAIGN_RULE, PROTECTED_HEADER } from '../../main/detect/rules/exchange';
import { recreation } from '../../main/detect/rules/storyline';
import { STAGES } from '../../preload/contract';

describe('the rule set', () => {
  it('has unique ids, each with an explanation, an undo step and a known stage', () => {
    expect(new Set(RULES.map((r) => r.id)).size).toBe(RULES.length);
    for (const r of RULES) {
      expect(r.explanation.length, r.id).toBeGreaterThan(80);
      expect(r.remediation.step.length, r.id).toBeGreaterThan(20);
      if (r.stage !== null) expect(STAGES, r.id).toContain(r.stage);
      for (const t of r.attack) expect(t, r.id).toMatch(/^T\d{4}(\.\d{3})?$/);
      for (const c of r.covers) expect(c, r.id).toMatch(/^(Sentinel|Sigma|Elastic|Splunk|Panther|M365 Defender): \S/);
    }
    // The correlation reads the others' findings, so it runs last.
    expect(RULES.at(-1)!.id).toBe('storyline.oauth-mail-abuse');
  });

  it('is documented rule by rule in docs/detections.md', () => {
    const doc = fs.readFileSync(path.resolve(import.meta.dirname, '../../docs/detections.md'), 'utf8');
    for (const r of RULES) expect(doc, r.id).toContain(`\`${r.id}\``);
  });

  it('matches the campaign\'s names by pattern', () => {
    expect(campaignNameLabel('fabrikam_QzX', ['fabrikam', 'fabrikamfiber'])).toBe('fabrikam');
    // Copycats: another separator, none, or two to six letters; a space or a word longer than six letters is an ordinary name.
    for (const name of ['contoso_kq', 'contoso_kqzz', 'contoso-kqzv', 'contoso.ab', 'contosoqzx', 'Contoso_Abcdef']) expect(campaignNameLabel(name, ['contoso']), name).toBe('contoso');
    for (const name of ['Contoso Wiki', 'contoso_abcdefg', 'contoso_k', 'contoso_ab1', 'Azure DevOps - contoso-infra']) expect(campaignNameLabel(name, ['contoso']), name).toBeNull();
    expect(campaignNameLabel('northwind_abc', ['contoso'])).toBeNull();
    expect(CAMPAIGN_CONNECTOR.test('Ran_QwErT')).toBe(true);
    expect(CAMPAIGN_CONNECTOR.test('Ran_abcd')).toBe(false);
    expect(CAMPAIGN_RULE.test('Test012')).toBe(true);
    expect(CAMPAIGN_RULE.test('Testing rule')).toBe(false);
    for (const h of ['Received-SPF', 'ARC-Seal', 'x-ms-exchange-antispam-messagedata-chunkcount', 'Authentication-Results', 'DKIM-Signature', 'X-Forefront-Antispam-Report'])
      expect(PROTECTED_HEADER.test(h), h).toBe(true);
    for (const h of ['X-Contoso-Classification', 'Subject', 'X-Mailer']) expect(PROTECTED_HEADER.test(h), h).toBe(false);
  });

  it('dates the storyline\'s cleanup step at the re-creation that followed a removal', () => {
    const events = [
      { at: '2026-10-13T08:00:00Z', operation: 'new-inboundconnector' },
      { at: '2026-10-05T09:00:00Z', operation: 'new-inboundconnector' },
      { at: '2026-10-06T10:00:00Z', operation: 'remove-inboundconnector' },
      { at: '2026-10-05T09:02:00Z', operation: 'new-transportrule' },
      { at: '2026-10-13T08:01:00Z', operation: 'new-transportrule' },
    ];
    expect(recreation(events)).toBe('2026-10-13T08:00:00Z');
    // Created once and never removed: nothing was re-created.
    expect(recreation(events.filter((e) => !e.operation.startsWith('remove-')))).toBeNull();
    // Removed at the end of the window with no creation after it.
    expect(recreation(events.filter((e) => !e.at.startsWith('2026-10-13')))).toBeNull();
  });
});
