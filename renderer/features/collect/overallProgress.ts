// Renderer: what the overall collection bar fills against — records when every unfinished source's size is known, else sources.
import type { CollectionStatus } from '../../../preload/contract';

export interface OverallProgress {
  /** 'records': against the expected record count (last clean collection's sizes); 'sources': finished sources of all. */
  counts: 'records' | 'sources';
  value: number;
  max: number;
}

/**
 * Records are the honest measure (one source can hold nearly all of them), but a total is only known where the last
 * clean collection gave each unfinished source a size; without that, the bar counts finished sources and says so.
 * A running collection never shows full: a source can outgrow last time's size.
 */
export function overallProgress(c: Pick<CollectionStatus, 'state' | 'sources'>, expected: ReadonlyMap<string, number | null>): OverallProgress {
  const finished = (s: CollectionStatus['sources'][number]) => s.state === 'done' || s.state === 'failed';
  const bySources: OverallProgress = { counts: 'sources', value: c.sources.filter(finished).length, max: Math.max(c.sources.length, 1) };
  if (c.state !== 'running') return bySources;
  let value = 0;
  let max = 0;
  for (const s of c.sources) {
    value += s.records;
    if (finished(s)) {
      max += s.records;
      continue;
    }
    const e = expected.get(s.source);
    if (e === undefined || e === null) return bySources;
    max += Math.max(e, s.records);
  }
  if (max === 0) return bySources;
  return { counts: 'records', value: Math.min(value, Math.floor(max * 0.99)), max };
}
