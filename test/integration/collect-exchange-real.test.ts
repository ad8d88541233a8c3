// A collection with Exchange against a simulator that answers as Exchange Online does on a busy day: the tenant sent to
// its own host, next links without '@', slow searches, transient server exceptions, audit-log sessions that stall, and a
// warning in a 200 — signed in through the browser, with device code blocked by Conditional Access and no consent granted
// beforehand. What lands in the case still equals the ground truth exactly, and verify derives it again from its evidence.
import type { Database } from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listSources } from '../../db/queries/sources';
import { verifyOpenCase } from '../../main/case/verify';
import { evidenceRecord } from '../../main/detect/records';
import { main as cli, type CliIo } from '../../main/cli';
import { collectedCase, type CollectedCase } from '../support/collected-case';

const WARNING = 'There are more results available than are currently displayed. To view them, increase the value for the ResultSize parameter.';

describe.each(['contoso', 'fabrikam'] as const)('a collection of %s with Exchange on a busy day', (scenario) => {
  let c: CollectedCase;
  let db: Database;
  let runId: string;

  beforeAll(async () => {
    c = await collectedCase({
      // Enough audit records (over 5,000) that a search session takes two calls, so a session can stall between them.
      scenario, seed: 31, users: 200, days: 10, inboxRuleMailboxes: 2, blockDeviceCode: true,
      // Retries wait on no clock here: the service's Retry-After and back-off are tested in the reader's own tests.
      exchangeRetryWait: async () => undefined,
      exchange: {
        throttleLimit: 1_000_000, tenantHost: true, bareNextLink: true,
        // Every window's first call is slow and fails once; every window's first session stalls (a restart completes it).
        auditFaults: { seed: 31, slowRate: 1, slowMs: 250, transientRate: 1, stallRate: 1, stallSessions: 1 },
      },
      // The first admin API call (the inbound connectors) answers with a warning in its 200.
      faults: { rules: [{ kind: 'adminapi-warning', path: '/adminapi', after: 1, count: 1, message: WARNING }] },
    });
    ({ db, runId } = c);
  }, 180_000);

  afterAll(async () => c?.dispose());

  it('holds exactly the Unified Audit Log records of the window, none truncated', () => {
    const { window } = c.sim.groundTruth.logs!;
    const expected = new Set<string>();
    for (const row of c.sim.logs.unifiedAudit.iterate(new Date(window.from).getTime(), new Date(window.to).getTime())) {
      expected.add((JSON.parse(row.AuditData) as { Id?: string }).Id ?? row.Identity);
    }
    const got = new Set(db.prepare('SELECT id FROM ual_record WHERE run_id = ?').pluck().all(runId) as string[]);
    expect(expected.size).toBe(c.sim.groundTruth.logs!.counts.unifiedAudit);
    expect([...expected].filter((id) => !got.has(id))).toEqual([]);
    expect([...got].filter((id) => !expected.has(id))).toEqual([]);
    expect(c.sim.groundTruth.logs!.malicious.unifiedAudit.filter((id) => !got.has(id))).toEqual([]);
    const ual = listSources(db, runId).find((s) => s.source === 'exo.unifiedAuditLog')!;
    // Records read again by a restarted session are not counted twice.
    expect(ual).toMatchObject({ state: 'done', truncated: false, records: expected.size });
    expect(expected.size).toBeGreaterThan(5000);
    // The transient failures were retried.
    expect(ual.retries).toBeGreaterThan(0);
  });

  it('went through what a busy Exchange does: the redirect, a stalled session, transient errors', () => {
    expect(c.sim.exchange.auditStalls.length).toBeGreaterThan(0);
    expect(c.sim.requests.filter((r) => r.status === 302 && r.path.includes('/InvokeCommand')).length).toBeGreaterThan(0);
    expect(c.sim.requests.filter((r) => r.status === 500 && r.path.includes('/InvokeCommand')).length).toBeGreaterThan(0);
  });

  it('signed in through the browser: device code was refused, consent given at sign-in', () => {
    expect(c.sim.requests.some((r) => r.path.includes('/oauth2/v2.0/authorize'))).toBe(true);
    expect(c.sim.requests.some((r) => r.path.includes('/devicecode'))).toBe(false);
  });

  it('passes verify --deep: every row derived again from its evidence, the restarted searches included', () => {
    const report = verifyOpenCase(db, 'busy.peregrine', { deep: true });
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.checked.derivedRows).toBeGreaterThan(5000);
  });

  it("shows a record from a search session's later page as its evidence holds it, with no mismatch", () => {
    // A page that continues a session (not its first call): its rows' ResultIndex carries on from the pages before.
    const later = db.prepare(`SELECT e.id FROM event e JOIN ual_record u ON u.row_id = e.source_row_id JOIN evidence v ON v.id = u.evidence_id
      WHERE e.run_id = ? AND e.source = 'ual' AND v.url LIKE '%InvokeCommand%' AND EXISTS (
        SELECT 1 FROM evidence p WHERE p.run_id = v.run_id AND p.source = v.source AND p.id < v.id
          AND json_extract(p.request_body, '$.CmdletInput.Parameters.SessionId') = json_extract(v.request_body, '$.CmdletInput.Parameters.SessionId'))
      ORDER BY e.id LIMIT 1`).pluck().get(runId) as number | undefined;
    expect(later).toBeDefined();
    const view = evidenceRecord(db, { kind: 'event', eventId: later! });
    expect(view.mismatch).toBeNull();
  });

  it('holds the Exchange configuration of the ground truth', () => {
    const exo = c.sim.groundTruth.exchange!;
    const count = (kind: string) => db.prepare('SELECT count(*) FROM tenant_object WHERE run_id = ? AND kind = ?').pluck().get(runId, kind);
    expect(count('inboundConnector')).toBe(exo.counts.inboundConnectors);
    expect(count('transportRule')).toBe(exo.counts.transportRules);
    expect(count('mailbox')).toBe(exo.counts.mailboxes);
  });

  it('records the warning on its source and shows it in case info', async () => {
    const sources = listSources(db, runId);
    expect(sources.find((s) => s.source === 'exo.inboundConnectors')!.notices).toEqual([{ kind: 'warning', text: WARNING }]);
    expect(sources.filter((s) => s.notices.length > 0).map((s) => s.source)).toEqual(['exo.inboundConnectors']);
    const out: string[] = [];
    const io: CliIo = { out: (l) => out.push(l), err: () => undefined, isTTY: false, clock: () => new Date() };
    c.db.pragma('wal_checkpoint(TRUNCATE)');
    expect(await cli(['case', 'info', c.file], io)).toBe(0);
    expect(out.join('\n')).toMatch(new RegExp(`Inbound connectors[^\\n]*\\n\\s+WARNING: ${WARNING.replace(/[.()]/g, '\\$&')}`));
  });
});
