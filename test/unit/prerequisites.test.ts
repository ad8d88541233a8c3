// The one gate for tests that need something from the machine: skip with the reason, or under CI's switch, fail.
import { afterEach, describe, expect, it, vi } from 'vitest';

async function load(requireAll: boolean) {
  vi.resetModules();
  vi.stubEnv('PEREGRINE_REQUIRE_ALL', requireAll ? '1' : '');
  return import('../support/prerequisites');
}

afterEach(() => vi.unstubAllEnvs());

describe('prerequisite', () => {
  const absent = { what: 'frobnicate on PATH', present: false };
  const there = { what: 'sh on PATH', present: true };

  it('skips a test whose tool is missing, and says why in its title', async () => {
    const { prerequisite } = await load(false);
    const p = prerequisite([there, absent]);
    expect(p).toMatchObject({ missing: 'frobnicate on PATH', skip: true });
    expect(p.title('checks it')).toBe('checks it [skipped: frobnicate on PATH missing]');
    expect(() => p.check()).not.toThrow();
  });

  it('under PEREGRINE_REQUIRE_ALL=1, fails instead', async () => {
    const { prerequisite } = await load(true);
    const p = prerequisite([absent]);
    expect(p.skip).toBe(false);
    expect(p.title('checks it')).toBe('checks it');
    expect(() => p.check()).toThrow('frobnicate on PATH missing: PEREGRINE_REQUIRE_ALL=1 requires it');
  });

  it('lets an optional prerequisite be absent even then, naming itself', async () => {
    const { prerequisite } = await load(true);
    const p = prerequisite([{ what: 'the Electron binary', present: false }], { optional: 'its download needs GitHub' });
    expect(p.skip).toBe(true);
    expect(p.title('opens a window')).toBe('opens a window [skipped: the Electron binary missing — its download needs GitHub]');
  });

  it('runs a test that has all it needs', async () => {
    const { prerequisite, onPath } = await load(true);
    const p = prerequisite([onPath('sh', ['-c', 'true'])]);
    expect(p).toMatchObject({ missing: null, skip: false });
    expect(() => p.check()).not.toThrow();
  });
});
