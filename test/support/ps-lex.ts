// Test support (Node): PowerShell's single-quoted strings as its tokenizer reads them, to check that generated lines keep every value inside its literal.

/** The characters PowerShell takes as a single quote (ASCII and U+2018–U+201B). */
const QUOTE = /['\u2018\u2019\u201a\u201b]/;

export interface Lexed {
  /** The values of the single-quoted literals, unescaped, in order. */
  strings: string[];
  /** The line with each single-quoted literal replaced by `'…'`: the code around the values. */
  code: string;
}

/**
 * Reads a line the way PowerShell reads single-quoted strings: a literal opens at any single-quote character and
 * closes at the next one not followed by another (a pair is one quote in the value). Double-quoted strings are
 * skipped whole (the generated code only uses constant ones). Throws on an unterminated literal.
 */
export function lexSingleQuoted(line: string): Lexed {
  const strings: string[] = [];
  let code = '';
  let i = 0;
  while (i < line.length) {
    const ch = line[i]!;
    if (ch === '"') {
      const end = line.indexOf('"', i + 1);
      if (end < 0) throw new Error(`unterminated double-quoted string at ${i}: ${line}`);
      code += line.slice(i, end + 1);
      i = end + 1;
      continue;
    }
    if (!QUOTE.test(ch)) {
      code += ch;
      i++;
      continue;
    }
    let value = '';
    i++;
    for (;;) {
      if (i >= line.length) throw new Error(`unterminated single-quoted string: ${line}`);
      const c = line[i]!;
      if (QUOTE.test(c)) {
        if (i + 1 < line.length && QUOTE.test(line[i + 1]!)) {
          // As PowerShell's tokenizer does: the pair stands for its second character.
          value += line[i + 1]!;
          i += 2;
          continue;
        }
        i++;
        break;
      }
      value += c;
      i++;
    }
    strings.push(value);
    code += "'…'";
  }
  return { strings, code };
}
