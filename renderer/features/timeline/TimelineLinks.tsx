// Renderer: the "N events" links other screens give into the Timeline (a finding's, an indicator's, a storyline stage's), counted by main.
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, type StorylineStage, type TimelineFilter } from '../../lib/api';
import { stageTitle } from '../findings/findingText';
import { timelineQueryHref } from './timelineFilter';

/** How many timeline events match each filter; null until counted (or when counting failed: the links still work). */
export function useTimelineCounts(filters: TimelineFilter[]): (number | null)[] {
  const key = JSON.stringify(filters);
  const [counts, setCounts] = useState<{ key: string; values: number[] } | null>(null);
  useEffect(() => {
    const list = JSON.parse(key) as TimelineFilter[];
    if (list.length === 0) return;
    let live = true;
    api.timeline.count(list).then((values) => live && setCounts({ key, values }), () => undefined);
    return () => {
      live = false;
    };
  }, [key]);
  return filters.map((_, i) => (counts?.key === key ? (counts.values[i] ?? null) : null));
}

export function TimelineEventsLink({ filter, count, testId, label }: { filter: TimelineFilter; count: number | null; testId: string; label?: string }) {
  const { t } = useTranslation();
  return (
    <a className="timeline-link" href={timelineQueryHref(filter)} data-testid={testId} data-count={count ?? ''} aria-label={label}>
      {count === null ? t('timeline.link.counting') : t('timeline.link.events', { count })} →
    </a>
  );
}

/** One link per storyline stage, under the chain, to the events of the stage's findings. */
export function StageEventLinks({ stages }: { stages: StorylineStage[] }) {
  const { t } = useTranslation();
  const filters = stages.map((s) => ({ findings: s.findingKeys }));
  const counts = useTimelineCounts(filters.filter((f) => f.findings.length > 0));
  let i = 0;
  return (
    <ol className="storyline-chain stage-events" data-testid="stage-events">
      {stages.map((s) => {
        if (s.findingKeys.length === 0) return <li key={s.id} className="stage-events-item" />;
        const count = counts[i++] ?? null;
        return (
          <li key={s.id} className="stage-events-item">
            <a
              href={timelineQueryHref({ findings: s.findingKeys }, s.id)}
              className="timeline-link small"
              data-testid="stage-events-link"
              data-stage={s.id}
              data-count={count ?? ''}
              aria-label={t('timeline.link.stageEventsLabel', { count: count ?? '', stage: stageTitle(s) })}
            >
              {count === null ? t('timeline.link.counting') : t('timeline.link.stageEvents', { count })} →
            </a>
          </li>
        );
      })}
    </ol>
  );
}
