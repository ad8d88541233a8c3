// Renderer: the words and icons the Checklist screen uses for step states, item outcomes and risks.
import { i18next } from '../../i18n';
import type { ChecklistOutcome, ChecklistStepState } from '../../lib/api';

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
