// The interface catalogs: English and Japanese have the same keys with the same interpolation variables, and no
// text meant for a reader is written into the renderer's JSX outside them.
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { en } from '../../renderer/i18n/en';
import { ja } from '../../renderer/i18n/ja';

const PLURAL = /_(zero|one|two|few|many|other)$/;

/** key (plural suffix removed) → the set of variables its texts interpolate. */
function flatten(tree: object, prefix = '', out = new Map<string, Set<string>>()): Map<string, Set<string>> {
  for (const [k, v] of Object.entries(tree)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'string') {
      const base = key.replace(PLURAL, '');
      const vars = out.get(base) ?? new Set<string>();
      for (const m of v.matchAll(/\{\{\s*([\w.]+)/g)) vars.add(m[1]!);
      if (PLURAL.test(key)) vars.add('count');
      out.set(base, vars);
    } else flatten(v as object, key, out);
  }
  return out;
}

describe('catalogs', () => {
  const e = flatten(en);
  const j = flatten(ja);

  it('have the same keys', () => {
    expect([...j.keys()].sort()).toEqual([...e.keys()].sort());
  });

  it('interpolate the same variables in every text', () => {
    const differ = [...e.keys()].filter((k) => [...(e.get(k) ?? [])].sort().join() !== [...(j.get(k) ?? [])].sort().join());
    expect(differ.map((k) => `${k}: en {${[...(e.get(k) ?? [])].join()}} ja {${[...(j.get(k) ?? [])].join()}}`)).toEqual([]);
  });

  it('give every English plural both forms', () => {
    const missing: string[] = [];
    const walk = (tree: object, prefix: string) => {
      for (const [k, v] of Object.entries(tree)) {
        const key = `${prefix}${k}`;
        if (typeof v !== 'string') walk(v as object, `${key}.`);
        else if (k.endsWith('_one') && !(k.replace(/_one$/, '_other') in tree)) missing.push(key);
        else if (k.endsWith('_other') && !(k.replace(/_other$/, '_one') in tree)) missing.push(key);
      }
    };
    walk(en, '');
    expect(missing).toEqual([]);
  });

  it('are Japanese where English has words', () => {
    // A Japanese text with letters but no kana or kanji is an untranslated copy, unless it is only technical terms.
    const technical = new Set(['preflight.graphAs', 'preflight.exchangeAs', 'collect.env.graphUrl', 'settings.languages.en', 'findings.sourceShort.ual', 'findings.panel.indicators', 'findings.evidence.url', 'findings.panel.colIp']);
    const untranslated: string[] = [];
    const walk = (a: object, b: object, prefix: string) => {
      for (const [k, v] of Object.entries(b)) {
        const key = `${prefix}${k}`;
        if (typeof v !== 'string') walk((a as Record<string, object>)[k]!, v as object, `${key}.`);
        else if (/[A-Za-z]{3}/.test(v.replace(/\{\{[^}]*\}\}/g, '')) && !/[\u3040-\u30ff\u4e00-\u9fff]/.test(v) && !technical.has(key)) untranslated.push(key);
      }
    };
    walk(en, ja, '');
    expect(untranslated).toEqual([]);
  });
});

// Product names, zone ids and example addresses, the same in every language.
const NOT_LANGUAGE = new Set(['Peregrine', 'UTC', 'sha256', 'ATT&amp;CK', 'Microsoft Graph', 'Exchange Online', 'admin@contoso.com, ceo@contoso.com']);

/** JSX text and the reader-facing string attributes, with letters in them, outside the catalogs. */
function literalsIn(file: string): string[] {
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true, ts.ScriptKind.TSX);
  const found: string[] = [];
  const shown = new Set(['title', 'aria-label', 'placeholder', 'alt', 'label', 'summary', 'empty', 'text', 'header']);
  const visit = (node: ts.Node) => {
    // Commands and ids in <code> are what the reader types, the same in every language.
    if (ts.isJsxElement(node) && ['code', 'kbd'].includes(node.openingElement.tagName.getText())) return;
    if (ts.isJsxText(node) && /\p{L}/u.test(node.text) && !NOT_LANGUAGE.has(node.text.replace(/^[\s·]+|[\s·]+$/g, ''))) found.push(node.text.trim());
    // A table column's header is shown as written.
    if (ts.isPropertyAssignment(node) && node.name.getText() === 'header' && ts.isStringLiteral(node.initializer) && /\p{L}/u.test(node.initializer.text) && !NOT_LANGUAGE.has(node.initializer.text)) {
      found.push(`header: '${node.initializer.text}'`);
    }
    if (ts.isJsxAttribute(node) && node.initializer && ts.isStringLiteral(node.initializer) && shown.has(node.name.getText()) && /\p{L}{2}/u.test(node.initializer.text) && !NOT_LANGUAGE.has(node.initializer.text)) {
      found.push(`${node.name.getText()}="${node.initializer.text}"`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  const line = (s: string) => `${path.relative(process.cwd(), file)}: ${s}`;
  return found.map(line);
}

function tsxFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) return tsxFiles(p);
    return d.name.endsWith('.tsx') ? [p] : [];
  });
}

describe('renderer JSX', () => {
  const files = tsxFiles(path.resolve('renderer'));

  it('writes no reader-facing text outside the catalogs', () => {
    const literals = files.flatMap(literalsIn);
    expect(literals).toEqual([]);
  });

  it('finds a literal where there is one', () => {
    const probe = path.join(fs.mkdtempSync(path.join(process.env.TMPDIR ?? '/tmp', 'i18n-')), 'Probe.tsx');
    fs.writeFileSync(probe, "export const P = () => <p title=\"Hover text\">Hello <b>{x}</b> ✓ <code>peregrine serve</code></p>;\nconst c = [{ id: 'a', header: 'Name' }];\n");
    expect(literalsIn(probe).map((l) => l.replace(/^[^:]*: /, ''))).toEqual(['title="Hover text"', 'Hello', "header: 'Name'"]);
  });
});
