// Renderer: a custody entry in words — what happened, per kind of entry, from the `key: value` facts main lists — and its link in the chain.
import { i18next } from '../../i18n';
import { shortHash } from '../../lib/format';
import type { IntegrityStatus } from '../../../preload/contract';

/** The facts of an entry, from main's `key: value · key: value` summary (its plain values; lists and objects are left out there). */
export function summaryFacts(summary: string): Map<string, string> {
  const facts = new Map<string, string>();
  for (const part of summary.split(' · ')) {
    const at = part.indexOf(': ');
    if (at > 0 && /^[A-Za-z][A-Za-z0-9]*$/.test(part.slice(0, at))) facts.set(part.slice(0, at), part.slice(at + 2));
    // A value holding ' · ' itself continues the previous fact.
    else if (facts.size > 0) {
      const last = [...facts.keys()].at(-1)!;
      facts.set(last, `${facts.get(last)!} · ${part}`);
    }
  }
  return facts;
}

const KNOWN = ['case.created', 'case.schema-upgraded', 'case.sealed', 'collection.started', 'collection.resumed', 'collection.finished', 'export.created', 'finding.triaged', 'engagement.settings', 'timeline.pin', 'remediation.planned', 'remediation.action'] as const;
type KnownAction = (typeof KNOWN)[number];
const isKnown = (action: string): action is KnownAction => (KNOWN as readonly string[]).includes(action);

/** What the entry records, as a sentence in the interface language; the summary as main wrote it for an action this screen does not know. */
export function custodySentence(action: string, summary: string): string {
  if (!isKnown(action)) return summary;
  const f = summaryFacts(summary);
  const v = (key: string) => f.get(key) ?? '—';
  const run = shortHash(f.get('runId'), 8);
  const t = i18next.t.bind(i18next);
  switch (action) {
    case 'case.created':
      return t('custody.said.caseCreated', { name: v('name'), file: v('fileName'), zone: v('timeZone'), version: v('toolVersion') });
    case 'case.schema-upgraded':
      return t('custody.said.schemaUpgraded', { from: v('from'), to: v('to') });
    case 'case.sealed':
      return t('custody.said.sealed', { file: v('file'), key: shortHash(f.get('signerFingerprint'), 16) });
    case 'collection.started':
      return t('custody.said.collectionStarted', { run, account: v('account'), environment: v('environment'), tenant: v('tenantId') });
    case 'collection.resumed':
      return t('custody.said.collectionResumed', { run, account: v('account') });
    case 'collection.finished': {
      const state = f.get('state');
      const outcome = state === 'done' || state === 'failed' || state === 'cancelled' ? t(`custody.said.outcome.${state}`) : v('state');
      const compared = f.get('comparedWith') ? t('custody.said.compared', { run: shortHash(f.get('comparedWith'), 8) }) : '';
      return t('custody.said.collectionFinished', { run, outcome, digest: shortHash(f.get('evidenceDigest'), 12) }) + compared;
    }
    case 'export.created':
      return t('custody.said.exportCreated', { folder: v('folder'), count: Number(f.get('files') ?? 0), through: v('checkpointThrough'), key: shortHash(f.get('signerFingerprint'), 16) });
    case 'finding.triaged': {
      const word = (s: string | undefined) => (s && i18next.exists(`findings.triageState.${s}`) ? t(`findings.triageState.${s as 'open'}`) : (s ?? '—'));
      const note = f.get('note') ? t('custody.said.note', { note: f.get('note') }) : '';
      return t('custody.said.triaged', { finding: v('finding'), from: word(f.get('from')), to: word(f.get('to')) }) + note;
    }
    case 'engagement.settings':
      return t('custody.said.engagement', { apps: v('engagementAppIds'), accounts: v('breakGlass') });
    case 'timeline.pin': {
      const note = f.get('note') ? t('custody.said.note', { note: f.get('note') }) : '';
      return t(f.get('state') === 'unpinned' ? 'timeline.custody.unpinned' : 'timeline.custody.pinned', { source: v('source'), record: v('record'), at: v('eventAt') }) + note;
    }
    case 'remediation.planned':
      return t('custody.said.remediationPlanned', { step: v('step'), digest: shortHash(f.get('specSha256'), 12) });
    case 'remediation.action': {
      const outcome = f.get('outcome');
      const word = outcome && i18next.exists(`checklist.outcome.${outcome}`) ? t(`checklist.outcome.${outcome as 'done'}`) : (outcome ?? '—');
      const note = f.get('note') ? t('custody.said.note', { note: f.get('note') }) : '';
      const account = f.get('account') ? t('custody.said.asAccount', { account: f.get('account') }) : '';
      return t('custody.said.remediationAction', { step: v('step'), item: v('item'), outcome: word }) + account + note;
    }
  }
}

export type LinkState = 'start' | 'linked' | 'broken' | 'unverified' | 'unchecked';

/**
 * An entry's link to the one before it, as the last verification saw it: verification reports the first problem, so
 * an entry after a broken one is not vouched for; a problem outside the custody log leaves every link sound.
 */
export function linkState(seq: number, integrity: Pick<IntegrityStatus, 'ok' | 'problem'> | null): LinkState {
  if (!integrity) return 'unchecked';
  const broken = integrity.ok ? null : /^custody entry (\d+) /.exec(integrity.problem ?? '');
  if (broken) {
    const at = Number(broken[1]);
    if (seq === at) return 'broken';
    if (seq > at) return 'unverified';
  }
  return seq === 1 ? 'start' : 'linked';
}
