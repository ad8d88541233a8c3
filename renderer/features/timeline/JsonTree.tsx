// Renderer: a record as a tree — objects and arrays fold, and JSON held in a string (AuditData and the like) is parsed into branches of its own.
import { useTranslation } from 'react-i18next';
import { isNested, NESTED } from './timelineFilter';

function Leaf({ value }: { value: unknown }) {
  if (value === null) return <span className="json-null">{String(value)}</span>;
  if (typeof value === 'string') return <span className="json-string">{JSON.stringify(value)}</span>;
  if (typeof value === 'number') return <span className="json-number">{String(value)}</span>;
  if (typeof value === 'boolean') return <span className="json-bool">{String(value)}</span>;
  return <span>{String(value)}</span>;
}

function Node({ name, value, depth }: { name: string | null; value: unknown; depth: number }) {
  const { t } = useTranslation();
  const label = name === null ? null : <span className="json-key">{name}</span>;
  if (isNested(value)) {
    const inner = value[NESTED];
    return (
      <li>
        <details open={depth < 4} className="json-branch">
          <summary>
            {label}
            {label ? ': ' : null}
            <span className="json-nested" data-testid="json-nested">{t('timeline.record.nested')}</span>
          </summary>
          <Children value={inner} depth={depth + 1} />
        </details>
      </li>
    );
  }
  if (value !== null && typeof value === 'object') {
    const size = Array.isArray(value) ? value.length : Object.keys(value).length;
    return (
      <li>
        <details open={depth < 4} className="json-branch">
          <summary>
            {label}
            {label ? ': ' : null}
            <span className="json-count muted">{Array.isArray(value) ? `[${size}]` : `{${size}}`}</span>
          </summary>
          <Children value={value} depth={depth + 1} />
        </details>
      </li>
    );
  }
  return (
    <li className="json-leaf">
      {label}
      {label ? ': ' : null}
      <Leaf value={value} />
    </li>
  );
}

function Children({ value, depth }: { value: unknown; depth: number }) {
  if (value === null || typeof value !== 'object') {
    return (
      <ul className="json-tree">
        <Node name={null} value={value} depth={depth} />
      </ul>
    );
  }
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
  return (
    <ul className="json-tree">
      {entries.map(([k, v]) => (
        <Node key={k} name={k} value={v} depth={depth} />
      ))}
    </ul>
  );
}

export function JsonTree({ value, testId }: { value: unknown; testId?: string }) {
  return (
    <div className="json-tree-root" data-testid={testId}>
      <Children value={value} depth={0} />
    </div>
  );
}
