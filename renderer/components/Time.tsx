// Renderer: an absolute timestamp in the display zone, with the relative time only as a hover hint.
import { useCase } from '../lib/caseState';
import { formatTimestamp, relativeHint } from '../lib/format';

/** `withZone={false}` only where the column header names the zone (see `useZoneLabel`). */
export function Time({ iso, withZone = true }: { iso: string | null | undefined; withZone?: boolean }) {
  const { displayZone } = useCase();
  if (!iso) return <span className="muted">—</span>;
  const full = formatTimestamp(iso, displayZone);
  return (
    <time dateTime={iso} title={`${full} · ${relativeHint(iso)}`} className="timestamp">
      {withZone ? full : formatTimestamp(iso, displayZone, false)}
    </time>
  );
}

/** The zone as a column header suffix: `UTC`, or the case's zone name. */
export function useZoneLabel(): string {
  return useCase().displayZone;
}
