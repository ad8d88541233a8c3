// Renderer: the Findings list's order — grouped by severity, and sorted inside each group by the column the consultant chose.
import type { Finding, Severity } from '../../../preload/contract';
import { SEVERITY_ORDER, TRIAGE_ORDER, ruleTexts } from './findingText';

export type FindingSortColumn = 'severity' | 'finding' | 'attack' | 'first' | 'last' | 'triage';
export interface FindingSort {
  column: FindingSortColumn;
  dir: 'asc' | 'desc';
}

/** Most severe first, each group in the order the rules reported. */
export const DEFAULT_FINDING_SORT: FindingSort = { column: 'severity', dir: 'desc' };

/** Never triaged sorts before every recorded state, then the states in the form's order. */
function triageRank(f: Finding): number {
  return f.triage.at === null ? -1 : TRIAGE_ORDER.indexOf(f.triage.state);
}

function key(f: Finding, column: FindingSortColumn): string | number | null {
  switch (column) {
    case 'severity':
      return 0;
    case 'finding':
      return ruleTexts(f).title;
    case 'attack':
      return f.attack[0] ?? null;
    case 'first':
      return f.firstAt;
    case 'last':
      return f.lastAt;
    case 'triage':
      return triageRank(f);
  }
}

/** The severity groups in order, each sorted by `sort`; a finding without a value for the column goes last either way. */
export function sortFindings(findings: readonly Finding[], sort: FindingSort): { level: Severity; findings: Finding[] }[] {
  const levels = sort.column === 'severity' && sort.dir === 'asc' ? [...SEVERITY_ORDER].reverse() : SEVERITY_ORDER;
  const factor = sort.dir === 'asc' ? 1 : -1;
  return levels.map((level) => ({
    level,
    findings: findings
      .filter((f) => f.severity === level)
      .sort((a, b) => {
        const x = key(a, sort.column);
        const y = key(b, sort.column);
        if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
        if (typeof x === 'number' && typeof y === 'number') return factor * (x - y);
        return factor * String(x).localeCompare(String(y), 'en', { sensitivity: 'base', numeric: true });
      }),
  }));
}

/** A click on a column's header: the same column flips direction, another starts ascending (severity: most severe first). */
export function nextFindingSort(current: FindingSort, column: FindingSortColumn): FindingSort {
  if (current.column === column) return { column, dir: current.dir === 'asc' ? 'desc' : 'asc' };
  return { column, dir: column === 'severity' ? 'desc' : 'asc' };
}
