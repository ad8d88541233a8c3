// Renderer: a JSON record as a collapsible tree — objects and arrays fold, long values wrap, and JSON held inside a
// string (the Unified Audit Log's AuditData) is parsed and shown as a tree of its own, marked as such.
import { useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { CopyButton } from './CopyButton';
import { embeddedJson, type Json } from './jsonValue';

/** Folded beyond this depth at first; "Expand all" opens every level. */
const OPEN_DEPTH = 2;

function Scalar({ value }: { value: Exclude<Json, object> }) {
  if (value === null) return <span className="json-null">{String(value)}</span>;
  if (typeof value === 'string') return <span className="json-string">{JSON.stringify(value)}</span>;
  return <span className={typeof value === 'number' ? 'json-number' : 'json-bool'}>{String(value)}</span>;
}

function Node({ name, value, depth, expanded, embedded = false }: { name: ReactNode; value: Json; depth: number; expanded: boolean | null; embedded?: boolean }) {
  const { t } = useTranslation();
  if (typeof value === 'string') {
    const inner = embeddedJson(value);
    if (inner) return <Node name={name} value={inner} depth={depth} expanded={expanded} embedded />;
  }
  if (value === null || typeof value !== 'object') {
    return (
      <li className="json-leaf">
        {name}
        <Scalar value={value} />
      </li>
    );
  }
  const entries: [string, Json][] = Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value);
  const open = expanded ?? depth < OPEN_DEPTH;
  const brackets = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  return (
    <li className="json-branch">
      {/* The key remounts the element when "Expand all"/"Collapse all" is used, so each level takes the new state. */}
      <details open={open} key={String(expanded)}>
        <summary>
          {name}
          <span className="json-bracket">{brackets[0]}</span>
          <span className="json-count">{Array.isArray(value) ? t('jsonTree.items', { count: entries.length }) : t('jsonTree.keys', { count: entries.length })}</span>
          <span className="json-bracket">{brackets[1]}</span>
          {embedded ? (
            <span className="badge badge-quiet json-embedded" title={t('jsonTree.embeddedHint')}>
              {t('jsonTree.embedded')}
            </span>
          ) : null}
        </summary>
        <ul className="json-children">
          {entries.map(([k, v]) => (
            <Node key={k} name={<span className={Array.isArray(value) ? 'json-index' : 'json-key'}>{`${k}:`}</span>} value={v} depth={depth + 1} expanded={expanded} />
          ))}
        </ul>
      </details>
    </li>
  );
}

/** The record as a tree, with "Expand all", "Collapse all" and a copy of the JSON as text. */
export function JsonTree({ json, label, testId }: { json: string; label: string; testId?: string }) {
  const { t } = useTranslation();
  // null: each level as it opens by default; true/false: every level open or folded.
  const [expanded, setExpanded] = useState<boolean | null>(null);
  let value: Json;
  try {
    value = JSON.parse(json) as Json;
  } catch {
    return <pre className="json-block">{json}</pre>;
  }
  return (
    <div className="json-tree-block" data-testid={testId}>
      <div className="json-tree-tools">
        <button type="button" className="button button-small" onClick={() => setExpanded(true)} data-testid={testId ? `${testId}-expand` : undefined}>
          {t('jsonTree.expandAll')}
        </button>
        <button type="button" className="button button-small" onClick={() => setExpanded(false)} data-testid={testId ? `${testId}-collapse` : undefined}>
          {t('jsonTree.collapseAll')}
        </button>
        <CopyButton value={JSON.stringify(value, null, 2)} label={label} text={t('jsonTree.copy')} compact testId={testId ? `${testId}-copy` : undefined} />
      </div>
      <ul className="json-tree" aria-label={label}>
        <Node name={null} value={value} depth={0} expanded={expanded} />
      </ul>
    </div>
  );
}
