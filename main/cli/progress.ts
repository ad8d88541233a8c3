// CLI: a collection's progress as one terminal line — sources done, records, rate, elapsed and (when a previous run
// gives an expectation) time left — cut to the terminal's width so a redraw with \r never wraps.
import type { CollectionStatus } from '../../preload/contract';

export interface ProgressContext {
  /** The terminal's width in columns. */
  columns: number;
  elapsedMs: number;
  /** Records the previous collection of the same sources held: the only honest basis for a time left. */
  expectedRecords: number | null;
}

export function progressLine(s: CollectionStatus, ctx: ProgressContext): string {
  const done = s.sources.filter((x) => x.state === 'done').length;
  const failed = s.sources.filter((x) => x.state === 'failed').length;
  const records = s.sources.reduce((n, x) => n + x.records, 0);
  const seconds = Math.max(ctx.elapsedMs / 1000, 0.001);
  const rate = records / seconds;
  const parts = [
    `${done}/${s.sources.length} sources${failed ? `, ${failed} failed` : ''}`,
    `${records.toLocaleString('en-US')} records`,
    `${Math.round(rate).toLocaleString('en-US')}/s`,
    clock(ctx.elapsedMs),
  ];
  if (ctx.expectedRecords !== null && ctx.expectedRecords > records && rate > 0 && ctx.elapsedMs >= 5_000) {
    parts.push(`about ${clock(((ctx.expectedRecords - records) / rate) * 1000)} left`);
  }
  const running = s.sources.filter((x) => x.state === 'running');
  if (running.length > 0) parts.push(`now: ${running.map((x) => `${x.label} ${x.records.toLocaleString('en-US')}`).join(', ')}`);
  return fit(parts.join(' · '), ctx.columns);
}

/** `m:ss`, or `h:mm:ss` past an hour. */
export function clock(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}` : `${m}:${String(s).padStart(2, '0')}`;
}

/** Cut to one column less than the width (a full-width line wraps on some terminals) and pad over what was there. */
function fit(line: string, columns: number): string {
  const width = Math.max(20, columns - 1);
  const chars = [...line];
  const cut = chars.length > width ? `${chars.slice(0, width - 1).join('')}…` : line;
  return cut.padEnd(width, ' ');
}

/** An import's progress as one terminal line: file n of m, bytes of the total, records, rate, elapsed and time left. */
export function importProgressLine(
  p: { file: string; fileIndex: number; files: number; bytes: number; totalBytes: number; records: number; elapsedMs: number },
  columns: number,
): string {
  const seconds = Math.max(p.elapsedMs / 1000, 0.001);
  const share = p.totalBytes > 0 ? Math.min(1, p.bytes / p.totalBytes) : 1;
  const parts = [
    `file ${p.fileIndex + 1}/${p.files} ${p.file}`,
    `${megabytes(p.bytes)} of ${megabytes(p.totalBytes)} (${Math.floor(share * 100)}%)`,
    `${p.records.toLocaleString('en-US')} records`,
    `${Math.round(p.records / seconds).toLocaleString('en-US')}/s`,
    clock(p.elapsedMs),
  ];
  // Bytes are the honest basis here: the plan knows every file's size before the first is read.
  if (share > 0 && share < 1 && p.elapsedMs >= 2_000) parts.push(`about ${clock((p.elapsedMs / share) * (1 - share))} left`);
  return fit(parts.join(' · '), columns);
}

function megabytes(bytes: number): string {
  return bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(2)} GB` : `${(bytes / 1024 ** 2).toFixed(1)} MB`;
}
