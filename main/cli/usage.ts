// CLI: per-command help cut from the overview, and "did you mean" for mistyped commands and options.

/**
 * One command's entries of the overview (`peregrine --help`), as `peregrine <command> --help` prints them: the
 * overview stays the one place each command is described. `sub` narrows `case create` and the like to that entry.
 */
export function commandHelp(overview: string, command: string, sub?: string): string | null {
  const lines = overview.split('\n');
  const start = lines.indexOf('Commands:');
  const end = lines.indexOf('Options:');
  if (start < 0 || end < start) return null;
  const entries: { head: string; lines: string[] }[] = [];
  for (const line of lines.slice(start + 1, end)) {
    if (/^ {2}\S/.test(line)) entries.push({ head: line.trim(), lines: [line] });
    else if (line.trim() && entries.length > 0) entries[entries.length - 1]!.lines.push(line);
  }
  const mine = entries.filter((e) => e.head === command || e.head.startsWith(`${command} `));
  if (mine.length === 0) return null;
  const narrowed = sub ? mine.filter((e) => e.head.startsWith(`${command} ${sub} `) || e.head === `${command} ${sub}`) : [];
  const shown = narrowed.length > 0 ? narrowed : mine;
  return `Usage:\n${shown.map((e) => e.lines.join('\n')).join('\n')}\n\nRun \`peregrine --help\` for every command.\n`;
}

/** Whether the arguments ask for help (`--help` or `-h` anywhere before a `--`). */
export function wantsHelp(args: readonly string[]): boolean {
  for (const a of args) {
    if (a === '--') return false;
    if (a === '--help' || a === '-h') return true;
  }
  return false;
}

/** The candidate closest to `typed` when it is close enough to be a typo (case-insensitive, at most 2 edits, or a prefix). */
export function didYouMean(typed: string, candidates: readonly string[]): string | null {
  const t = typed.toLowerCase();
  let best: { candidate: string; distance: number } | null = null;
  for (const candidate of candidates) {
    const c = candidate.toLowerCase();
    const distance = c.startsWith(t) && t.length >= 3 ? 1 : editDistance(t, c);
    if (!best || distance < best.distance) best = { candidate, distance };
  }
  if (!best) return null;
  const allowed = Math.min(2, Math.max(1, Math.floor(t.length / 3)));
  return best.distance <= allowed ? best.candidate : null;
}

/** Damerau–Levenshtein distance (optimal string alignment): a swapped pair of letters counts as one edit. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}
