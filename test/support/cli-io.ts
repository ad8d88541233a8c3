// Tests (plain Node): a CLI io that keeps what a command printed, line by line, at a fixed clock.
import type { CliIo } from '../../main/cli';

export type CapturedIo = CliIo & { stdout: string[]; stderr: string[] };

export function capturedIo(): CapturedIo {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l), isTTY: false, clock: () => new Date('2026-11-26T10:00:00Z') };
}
