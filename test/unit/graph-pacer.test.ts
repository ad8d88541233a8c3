// The pacer keeps report requests at 5 per 10 s per app, and leaves other endpoints alone.
import { describe, expect, it } from 'vitest';
import { createPacer, WINDOW_MARGIN_MS } from '../../main/graph/pacer';

function fakeClock() {
  let t = 1_000_000;
  const waits: number[] = [];
  return { now: () => t, sleep: async (ms: number) => void (waits.push(ms), (t += ms)), waits, advance: (ms: number) => (t += ms) };
}

describe('createPacer', () => {
  it('lets five report requests through, then waits for the window to slide', async () => {
    const clock = fakeClock();
    const pacer = createPacer(clock);
    const sentAt: number[] = [];
    for (let i = 0; i < 12; i++) {
      await pacer.admit('https://graph.test/v1.0/auditLogs/signIns?$top=1000');
      sentAt.push(clock.now());
    }
    // No 10-second window ever holds more than five requests.
    for (const t of sentAt) expect(sentAt.filter((u) => u > t - 10_000 && u <= t).length).toBeLessThanOrEqual(5);
    expect(clock.waits).toHaveLength(2);
    // Twelve requests need at least two full windows.
    expect(sentAt.at(-1)! - sentAt[0]!).toBeGreaterThanOrEqual(20_000);
    expect(sentAt.at(-1)! - sentAt[0]!).toBeLessThanOrEqual(20_000 + 2 * WINDOW_MARGIN_MS);
  });

  it('paces to another limit when one is given (a simulator set up without Graph\'s)', async () => {
    const clock = fakeClock();
    const pacer = createPacer({ ...clock, limit: { requests: 2, perMs: 1000 } });
    for (let i = 0; i < 3; i++) await pacer.admit('https://graph.test/v1.0/auditLogs/signIns');
    expect(clock.waits).toEqual([1000 + WINDOW_MARGIN_MS]);
  });

  it('counts sign-ins, audits and authentication-method reports against one budget', async () => {
    const clock = fakeClock();
    const pacer = createPacer(clock);
    for (const p of ['auditLogs/signIns', 'auditLogs/directoryAudits', 'reports/authenticationMethods/userRegistrationDetails', 'auditLogs/signIns', 'auditLogs/directoryAudits']) {
      await pacer.admit(`https://graph.test/v1.0/${p}`);
    }
    expect(clock.waits).toEqual([]);
    await pacer.admit('https://graph.test/beta/auditLogs/signIns');
    expect(clock.waits).toHaveLength(1);
  });

  it('does not slow down directory reads', async () => {
    const clock = fakeClock();
    const pacer = createPacer(clock);
    for (let i = 0; i < 50; i++) await pacer.admit('https://graph.test/v1.0/applications?$top=999');
    expect(clock.waits).toEqual([]);
  });
});
