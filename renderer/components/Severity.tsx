// Renderer: severity as icon + word, readable without colour.
import type { AppFlag } from '../lib/api';

type Level = AppFlag['severity'];

const LOOK: Record<Level, { icon: string; word: string; rank: number }> = {
  critical: { icon: '◆', word: 'Critical', rank: 5 },
  high: { icon: '▲', word: 'High', rank: 4 },
  medium: { icon: '●', word: 'Medium', rank: 3 },
  low: { icon: '▼', word: 'Low', rank: 2 },
  info: { icon: '○', word: 'Info', rank: 1 },
};

export function severityRank(level: Level | null | undefined): number {
  return level ? LOOK[level].rank : 0;
}

export function severityWord(level: Level): string {
  return LOOK[level].word;
}

export function severityLabel(level: Level): string {
  return `${LOOK[level].icon} ${LOOK[level].word}`;
}

/** The compact form for running text: coloured icon + word, no box. */
export function SeverityText({ level }: { level: Level }) {
  const look = LOOK[level];
  return (
    <span className={`severity-text severity-text-${level}`} data-severity={level}>
      <span aria-hidden="true">{look.icon}</span> {look.word}
    </span>
  );
}

export function SeverityBadge({ level }: { level: Level }) {
  const look = LOOK[level];
  return (
    <span className={`severity severity-${level}`} data-testid="severity" data-severity={level}>
      <span aria-hidden="true" className="severity-icon">{look.icon}</span>
      <span className="severity-word">{look.word}</span>
    </span>
  );
}
