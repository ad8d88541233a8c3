// Renderer: severity as icon + word, readable without colour.
import { useTranslation } from 'react-i18next';
import { i18next } from '../i18n';
import type { AppFlag } from '../lib/api';

type Level = AppFlag['severity'];

const LOOK: Record<Level, { icon: string; rank: number }> = {
  critical: { icon: '◆', rank: 5 },
  high: { icon: '▲', rank: 4 },
  medium: { icon: '●', rank: 3 },
  low: { icon: '▼', rank: 2 },
  info: { icon: '○', rank: 1 },
};

export function severityRank(level: Level | null | undefined): number {
  return level ? LOOK[level].rank : 0;
}

export function severityWord(level: Level): string {
  return i18next.t(`common.severity.${level}`);
}

export function severityLabel(level: Level): string {
  return `${LOOK[level].icon} ${severityWord(level)}`;
}

/** The compact form for running text: coloured icon + word, no box. */
export function SeverityText({ level }: { level: Level }) {
  const { t } = useTranslation();
  const look = LOOK[level];
  return (
    <span className={`severity-text severity-text-${level}`} data-severity={level}>
      <span aria-hidden="true">{look.icon}</span> {t(`common.severity.${level}`)}
    </span>
  );
}

export function SeverityBadge({ level }: { level: Level }) {
  const { t } = useTranslation();
  const look = LOOK[level];
  return (
    <span className={`severity severity-${level}`} data-testid="severity" data-severity={level}>
      <span aria-hidden="true" className="severity-icon">{look.icon}</span>
      <span className="severity-word">{t(`common.severity.${level}`)}</span>
    </span>
  );
}
