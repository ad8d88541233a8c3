// Vitest: `it` and `describe` that skip, or under PEREGRINE_REQUIRE_ALL fail, when a prerequisite is missing.
import { describe, it } from 'vitest';
import type { Prerequisite } from './prerequisites';

export function itNeeds(p: Prerequisite) {
  return (name: string, fn: () => unknown, timeout?: number) =>
    it.skipIf(p.skip)(p.title(name), () => {
      p.check();
      return fn();
    }, timeout);
}

export function describeNeeds(p: Prerequisite, name: string, body: () => void) {
  // Required but missing: one failing test says so, and the body (which would read what is missing) is not collected.
  if (p.missing !== null && !p.skip) describe(name, () => it('has what it needs', () => p.check()));
  else describe.skipIf(p.skip)(p.title(name), body);
}
