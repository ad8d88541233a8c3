// The command line a consultant expects: every command answers --help, near misses get a suggestion, and progress fits one terminal line.
import { describe, expect, it } from 'vitest';
import { main } from '../../main/cli';
import { commandHelp, didYouMean, editDistance, wantsHelp } from '../../main/cli/usage';
import { clock, progressLine } from '../../main/cli/progress';
import { capturedIo } from '../support/cli-io';
import type { CollectionStatus } from '../../preload/contract';

describe('per-command help', () => {
  it.each([
    ['case', /case create <file>[\s\S]*case info <file>[\s\S]*case seal <file>/],
    ['collect', /collect <case> --env <environment file>[\s\S]*--tenant <domain\|id>[\s\S]*--inbox-rules/],
    ['detect', /detect <case> \[--json\][\s\S]*--iocs csv\|stix/],
    ['triage', /triage <case> <finding key> <open\|confirmed\|false_positive\|needs_info>/],
    ['export', /export <case> --out <dir>/],
    ['verify', /verify <export dir \| case file> \[--deep\]/],
    ['serve', /serve \[--env <file> \| --tenant <domain\|id> \[--cloud <cloud>\]/],
  ])('peregrine %s --help prints its usage and exits 0', async (command, usage) => {
    const io = capturedIo();
    expect(await main([command, '--help'], io)).toBe(0);
    const text = io.stdout.join('\n');
    expect(text).toMatch(/^Usage:\n/);
    expect(text).toMatch(usage);
    expect(io.stderr).toEqual([]);
  });

  it('narrows to a subcommand, and -h works as --help anywhere before --', async () => {
    const io = capturedIo();
    expect(await main(['case', 'info', '-h'], io)).toBe(0);
    expect(io.stdout.join('\n')).toMatch(/case info <file> \[--json\]/);
    expect(io.stdout.join('\n')).not.toMatch(/case create/);
    // case seal has a fuller help of its own.
    expect(await main(['case', 'seal', '-h'], io)).toBe(0);
    expect(io.stdout.at(-1)).toMatch(/^Usage: peregrine case seal <case file> --out <file>/);
    expect(wantsHelp(['x', '--', '--help'])).toBe(false);
    expect(wantsHelp(['x', '-h'])).toBe(true);
  });

  it('answers null for a command the overview does not describe', () => {
    expect(commandHelp('Commands:\n  a <x>\n      does a\nOptions:\n', 'b')).toBeNull();
    expect(commandHelp('Commands:\n  a <x>\n      does a\nOptions:\n', 'a')).toBe('Usage:\n  a <x>\n      does a\n\nRun `peregrine --help` for every command.\n');
  });
});

describe('did you mean', () => {
  it('suggests the command or option one or two edits away, and nothing for a word that is not close', async () => {
    const io = capturedIo();
    expect(await main(['colect'], io)).toBe(2);
    expect(io.stderr.join('\n')).toMatch(/^peregrine: Unknown command "colect"\. Did you mean `peregrine collect`\?/);
    const io2 = capturedIo();
    expect(await main(['detect', 'case.peregrine', '--jsno'], io2)).toBe(2);
    expect(io2.stderr.join('\n')).toMatch(/Unknown option '--jsno'\. Did you mean `--json`\?/);
    const io3 = capturedIo();
    expect(await main(['frobnicate'], io3)).toBe(2);
    expect(io3.stderr.join('\n')).toMatch(/^peregrine: Unknown command "frobnicate"\.\nRun/);
  });

  it('counts a swap of two letters as one edit and stays quiet past the allowance', () => {
    expect(editDistance('verfiy', 'verify')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(didYouMean('--deeep', ['--deep', '--signer'])).toBe('--deep');
    expect(didYouMean('exprot', ['export', 'detect'])).toBe('export');
    expect(didYouMean('ab', ['case', 'key'])).toBeNull();
    expect(didYouMean('--inbox', ['--inbox-rules', '--exchange'])).toBe('--inbox-rules');
  });
});

describe('progress line', () => {
  const status = (records: number[], states: CollectionStatus['sources'][number]['state'][]): CollectionStatus => ({
    runId: 'r', state: 'running', startedAt: '2026-01-01T00:00:00Z', finishedAt: null, error: null,
    sources: records.map((n, i) => ({ source: `s${i}`, label: `Source number ${i} with a long label`, state: states[i]!, pages: 1, records: n, error: null })),
  });

  it('fits the terminal: never wider than the columns less one, padded to overwrite the last line', () => {
    const s = status([12_000, 3_000, 500, 0, 0, 0, 0, 0], ['done', 'running', 'running', 'running', 'pending', 'pending', 'pending', 'pending']);
    for (const columns of [40, 80, 120]) {
      const line = progressLine(s, { columns, elapsedMs: 10_000, expectedRecords: null });
      expect([...line].length).toBe(columns - 1);
      expect(line).not.toMatch(/\n/);
    }
    expect(progressLine(s, { columns: 200, elapsedMs: 10_000, expectedRecords: null }).trimEnd()).toBe(
      '1/8 sources · 15,500 records · 1,550/s · 0:10 · now: Source number 1 with a long label 3,000, Source number 2 with a long label 500, Source number 3 with a long label 0',
    );
    expect(progressLine(s, { columns: 40, elapsedMs: 10_000, expectedRecords: null })).toMatch(/…$/);
  });

  it('says time left only from an expectation, after a few seconds of rate', () => {
    const s = status([10_000, 0], ['done', 'running']);
    expect(progressLine(s, { columns: 200, elapsedMs: 10_000, expectedRecords: 40_000 })).toContain('1,000/s · 0:10 · about 0:30 left');
    expect(progressLine(s, { columns: 200, elapsedMs: 10_000, expectedRecords: null })).not.toContain('left');
    expect(progressLine(s, { columns: 200, elapsedMs: 2_000, expectedRecords: 40_000 })).not.toContain('left');
    expect(progressLine(s, { columns: 200, elapsedMs: 10_000, expectedRecords: 5_000 })).not.toContain('left');
  });

  it('writes elapsed time as m:ss and h:mm:ss', () => {
    expect(clock(0)).toBe('0:00');
    expect(clock(61_400)).toBe('1:01');
    expect(clock(3_726_000)).toBe('1:02:06');
  });
});
