// Main process / CLI / workers: wording shared by the rules' reasons.

/** "1 event", "1,234 events": counts in reasons, with their noun. */
export const plural = (n: number, one: string, many = `${one}s`): string => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
