// Renderer: the attack's storyline as a chain of six stages, lit where evidence supports them; each stage filters the findings to its own.
import type { Finding, StorylineStage } from '../../lib/api';
import { useTranslation } from 'react-i18next';
import { ruleTexts, stageTitle } from './findingText';
import { Time } from '../../components/Time';

interface Props {
  stages: StorylineStage[];
  /** The stage the findings are filtered to, or null. */
  selected: string | null;
  /** Absent: the stages are links (`hrefFor`) instead of toggles. */
  onSelect?: (stage: string | null) => void;
  hrefFor?: (stage: string) => string;
  testId?: string;
  /** The report's findings: each stage is summed up by its top finding's title in the interface language. */
  findings?: readonly Finding[];
}

export function Storyline({ stages, selected, onSelect, hrefFor, testId = 'storyline', findings }: Props) {
  const { t } = useTranslation();
  const byKey = new Map((findings ?? []).map((f) => [f.key, f]));
  const summary = (s: StorylineStage): string => {
    const top = s.findingKeys[0] ? byKey.get(s.findingKeys[0]) : undefined;
    if (!top) return s.lit ? s.summary : '';
    const title = ruleTexts(top).title;
    return s.findingKeys.length > 1 ? t('findings.story.summaryMore', { title, count: s.findingKeys.length - 1 }) : title;
  };
  const lit = stages.filter((s) => s.lit).length;
  return (
    <nav className="storyline" aria-label={t('findings.story.label', { lit, total: stages.length })} data-testid={testId} data-lit={lit}>
      <ol className="storyline-chain">
        {stages.map((s, i) => {
          const body = (
            <>
              <span className="stage-top">
                <span className="stage-step" aria-hidden="true">
                  {i + 1}
                </span>
                <span className="stage-title">{stageTitle(s)}</span>
              </span>
              <span className="stage-state">
                <span aria-hidden="true">{s.lit ? '● ' : '○ '}</span>
                {s.lit ? t('findings.story.seen', { findings: t('findings.count', { count: s.findingKeys.length }) }) : t('findings.story.noEvidence')}
              </span>
              <span className="stage-at">{s.at ? <Time iso={s.at} /> : <span className="muted">—</span>}</span>
              <span className="stage-summary" title={summary(s)}>
                {summary(s)}
              </span>
            </>
          );
          const cls = `stage${s.lit ? ' stage-lit' : ''}${selected === s.id ? ' stage-selected' : ''}`;
          const data = { 'data-testid': 'storyline-stage', 'data-stage': s.id, 'data-lit': s.lit ? 'true' : 'false' };
          return (
            <li key={s.id} className="storyline-item">
              {onSelect ? (
                <button
                  type="button"
                  className={cls}
                  aria-pressed={selected === s.id}
                  onClick={() => onSelect(selected === s.id ? null : s.id)}
                  disabled={s.findingKeys.length === 0}
                  title={s.findingKeys.length === 0 ? t('findings.story.noFinding') : t('findings.story.showOnly', { stage: stageTitle(s) })}
                  {...data}
                >
                  {body}
                </button>
              ) : (
                <a className={cls} href={hrefFor?.(s.id)} {...data}>
                  {body}
                </a>
              )}
              {i < stages.length - 1 ? (
                <span className="stage-arrow" aria-hidden="true">
                  →
                </span>
              ) : null}
            </li>
          );
        })}
      </ol>
    </nav>
  );
}
