// A bounded, seeded fuzz run over every import format (plain Node, real SQLite): each of our fixtures damaged many ways —
// bytes flipped, cut, repeated, removed, quotes, brackets and line breaks thrown in — is either imported or refused with
// an ImportError, never anything else, and a refused import leaves the case file byte for byte as it was.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createCase, openCase } from '../../main/case/case';
import { closeDatabase } from '../../db/connection';
import { verifyCaseFile } from '../../main/case/verify';
import { ImportError } from '../../main/import/errors';
import { planImport, runImport } from '../../main/import/importer';
import { createPrng } from '../sim/prng';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/import');
/** Damaged copies per fixture: enough to reach every parser's refusals, few enough for every CI run. */
const RUNS = 30;
let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-import-fuzz-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The simulator's seeded generator: the same damage on every run, so a failure can be replayed. */
function random(label: string) {
  const prng = createPrng(label);
  return { next: () => prng.next(), int: (n: number) => Math.floor(prng.next() * n) };
}

const NASTY = [0x22, 0x2c, 0x0a, 0x0d, 0x7b, 0x7d, 0x5b, 0x5d, 0x5c, 0x3a, 0x00, 0xff, 0xfe, 0xc3, 0xef];

function damage(bytes: Buffer, r: ReturnType<typeof random>): Buffer {
  const b = Buffer.from(bytes);
  const at = () => r.int(Math.max(1, b.length));
  switch (r.int(6)) {
    case 0: // flip some bytes
      for (let i = 0; i < 1 + r.int(4); i++) b[at()] = r.int(256);
      return b;
    case 1: // cut short
      return b.subarray(0, at());
    case 2: { // remove a run
      const from = at();
      return Buffer.concat([b.subarray(0, from), b.subarray(from + 1 + r.int(64))]);
    }
    case 3: { // repeat a run
      const from = at();
      return Buffer.concat([b.subarray(0, from + 1 + r.int(200)), b.subarray(from)]);
    }
    case 4: { // throw in delimiters
      const out = [...b];
      for (let i = 0; i < 1 + r.int(3); i++) out.splice(at(), 0, NASTY[r.int(NASTY.length)]!);
      return Buffer.from(out);
    }
    default: { // swap two lines
      const lines = b.toString('latin1').split('\n');
      const i = r.int(lines.length);
      const j = r.int(lines.length);
      [lines[i], lines[j]] = [lines[j]!, lines[i]!];
      return Buffer.from(lines.join('\n'), 'latin1');
    }
  }
}

const hash = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

it(`imports or refuses ${RUNS} damaged copies of each format's fixture with an ImportError, leaving the case as it was when refused`, async () => {
  const file = path.join(dir, 'fuzz.peregrine');
  closeDatabase(createCase(file, { name: 'Fuzz', examiner: 'A. Examiner' }, { clock: () => new Date(), toolVersion: 'test' }).db);
  const outcomes = { imported: 0, refused: new Map<string, number>() };
  for (const fixture of fs.readdirSync(FIXTURES).sort()) {
    const original = fs.readFileSync(path.join(FIXTURES, fixture));
    const r = random(`import-fuzz ${fixture}`);
    for (let run = 0; run < RUNS; run++) {
      const damaged = path.join(dir, `${run}-${fixture}`);
      fs.writeFileSync(damaged, damage(original, r));
      const before = hash(file);
      let error: unknown = null;
      try {
        const plan = await planImport([damaged], fixture.includes('ambiguous') ? { dateFormat: 'M/d/yyyy' } : {});
        const { db } = openCase(file, { keepJournalMode: true });
        try {
          await runImport(db, plan, { actor: 'A. Examiner', note: 'fuzz', clock: () => new Date() });
        } finally {
          closeDatabase(db);
        }
      } catch (err) {
        error = err;
      }
      if (error === null) {
        outcomes.imported++;
        continue;
      }
      if (!(error instanceof ImportError)) throw new Error(`${fixture}, damaged copy ${run}: ${(error as Error).stack ?? String(error)}`);
      expect(error.file).toBe(path.basename(damaged));
      outcomes.refused.set(error.code, (outcomes.refused.get(error.code) ?? 0) + 1);
      expect(hash(file), `${fixture}, damaged copy ${run} (${error.message}) changed the case`).toBe(before);
    }
  }
  // The run reached both outcomes and several kinds of refusal, or it proved little.
  expect(outcomes.imported).toBeGreaterThan(0);
  expect([...outcomes.refused.keys()]).toEqual(expect.arrayContaining(['truncated', 'invalid_record', 'encoding']));
  // What was imported, however damaged its file, derives again from its evidence chunks to the same rows.
  expect(verifyCaseFile(file, { deep: true }).problems).toEqual([]);
}, 300_000);
