// Main process / CLI / workers: a finding's reason built sentence by sentence — the English text as before, and each
// sentence as a key and its values so that the screens can say it in their own language (renderer/i18n findings.reason).
import type { ReasonPart } from '../../preload/contract';

export class Reason {
  private readonly sentences: string[] = [];
  private readonly keyed: ReasonPart[] = [];

  /** One sentence: its English words, and the key and values its translations are written from. */
  add(key: string, values: Record<string, string | number>, english: string): this {
    this.sentences.push(english);
    this.keyed.push({ key, values });
    return this;
  }

  /** A further sentence for the translations only: the English sentence before it already says it. */
  part(key: string, values: Record<string, string | number>): this {
    this.keyed.push({ key, values });
    return this;
  }

  get text(): string {
    return this.sentences.join(' ');
  }

  get parts(): ReasonPart[] {
    return [...this.keyed];
  }
}
