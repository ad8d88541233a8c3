// Renderer: a reason written as numbered steps ("1. … 2. …", the storyline's links) split into its steps, to show as a list.

/** The steps of a reason numbered 1, 2, 3… in order, without their numbers; null when the reason is not such a list. */
export function numberedSteps(reason: string): string[] | null {
  const marks = [...reason.matchAll(/(?:^|\s)(\d+)\.\s(?=\S)/g)];
  // Only a run counting 1, 2, 3… from the very start is a list: "version 2. Then" inside a sentence is not.
  const run: RegExpExecArray[] = [];
  for (const m of marks) if (Number(m[1]) === run.length + 1 && (run.length > 0 || m.index === 0)) run.push(m);
  if (run.length < 2) return null;
  return run.map((m, i) => reason.slice(m.index + m[0].length, i + 1 < run.length ? run[i + 1]!.index : undefined).trim());
}
