// Renderer: polling that never overlaps itself — the next tick is scheduled only after the previous answer.
import { useEffect, useRef } from 'react';

/**
 * Calls `tick` every `intervalMs` while `active`. `tick` returns false to stop.
 * A slow host therefore slows the poll instead of piling up requests.
 */
export function usePoll(tick: () => Promise<boolean>, intervalMs: number, active: boolean): void {
  const latest = useRef(tick);
  useEffect(() => {
    latest.current = tick;
  });
  useEffect(() => {
    if (!active) return;
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      if (cancelled) return;
      let again: boolean;
      try {
        again = await latest.current();
      } catch {
        again = false;
      }
      if (!cancelled && again) timer = setTimeout(run, intervalMs);
    };
    timer = setTimeout(run, intervalMs);
    return () => {
      cancelled = true;
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [active, intervalMs]);
}
