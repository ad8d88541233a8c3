// Renderer: the words and icons the Checklist screen uses for step states, item outcomes and risks.
import { i18next } from '../../i18n';
import type { ChecklistOutcome, ChecklistStepState, ChecklistStepView } from '../../lib/api';

const STATE_LOOK: Record<ChecklistStepState, { icon: string; cls: string }> = {
  planned: { icon: '○', cls: 'state-pending' },
  skipped: { icon: '⊘', cls: 'state-pending' },
  done: { icon: '◑', cls: 'state-running' },
  'done-outside': { icon: '◑', cls: 'state-running' },
  verified: { icon: '✓', cls: 'state-done' },
  failed: { icon: '✕', cls: 'state-failed' },
};

export function stateLook(state: ChecklistStepState): { icon: string; cls: string; word: string } {
  return { ...STATE_LOOK[state], word: i18next.t(`checklist.state.${state}`) };
}

const OUTCOME_LOOK: Record<ChecklistOutcome, { icon: string; cls: string }> = {
  'dry-run': { icon: '◌', cls: 'state-pending' },
  done: { icon: '◑', cls: 'state-running' },
  verified: { icon: '✓', cls: 'state-done' },
  'already-absent': { icon: '✓', cls: 'state-done' },
  failed: { icon: '✕', cls: 'state-failed' },
  changed: { icon: '!', cls: 'state-failed' },
  skipped: { icon: '⊘', cls: 'state-pending' },
  'done-outside': { icon: '◑', cls: 'state-running' },
};

export function outcomeLook(outcome: ChecklistOutcome | null): { icon: string; cls: string; word: string } {
  if (!outcome) return { icon: '○', cls: 'state-pending', word: i18next.t('checklist.outcome.none') };
  return { ...OUTCOME_LOOK[outcome], word: i18next.t(`checklist.outcome.${outcome}`) };
}

export function riskWord(risk: 'low' | 'medium' | 'high'): string {
  return i18next.t(`checklist.risk.${risk}`);
}

/** The i18n key of a step's words: its kind (or variant), dots and dashes as underscores. */
const stepKey = (key: string) => `checklist.step.${key.replace(/[.-]/g, '_')}`;

/** A step's title in the interface language, from its kind and values; the recorded English title for an older plan. */
export function stepTitle(step: Pick<ChecklistStepView, 'title' | 'text'>): string {
  if (!step.text || !i18next.exists(`${stepKey(step.text.key)}.title`, { count: 2 })) return step.title;
  // The key is checked above (exists); its type names one of the catalog's step titles.
  return i18next.t(`${stepKey(step.text.key)}.title` as 'checklist.step.sp_disable.title', step.text.params);
}

/** What the step does and why, in the interface language; null for an older plan (its English `why` says it). */
export function stepNote(step: Pick<ChecklistStepView, 'text'>): string | null {
  if (!step.text || !i18next.exists(`${stepKey(step.text.key)}.note`, { count: 2 })) return null;
  return i18next.t(`${stepKey(step.text.key)}.note` as 'checklist.step.sp_disable.note', step.text.params);
}

/** How to put the step's change back, in the interface language; null when the catalog has no words for it. */
export function stepUndo(step: Pick<ChecklistStepView, 'text'>): string | null {
  if (!step.text || !i18next.exists(`${stepKey(step.text.key)}.undo`)) return null;
  return i18next.t(`${stepKey(step.text.key)}.undo` as 'checklist.step.sp_disable.undo', step.text.params);
}
