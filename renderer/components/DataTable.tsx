// Renderer: the one dense table used on every screen — sortable by any column, copyable as tab-separated text.
import { useMemo, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { CopyButton } from './CopyButton';

export interface Column<T> {
  id: string;
  header: string;
  /** The cell as plain text: what "Copy table" copies, and the default sort key. */
  text: (row: T) => string;
  sortValue?: (row: T) => string | number;
  render?: (row: T) => ReactNode;
  className?: string;
  /** Numbers align right and sort descending first. */
  numeric?: boolean;
  /** False for action columns. */
  sortable?: boolean;
}

export type SortDir = 'asc' | 'desc';

interface Props<T> {
  /** Accessible name of the table, e.g. "Applications". */
  label: string;
  columns: Column<T>[];
  rows: T[];
  rowKey: (row: T) => string;
  defaultSort: { column: string; dir: SortDir };
  testId: string;
  rowTestId?: string;
  onRowActivate?: (row: T) => void;
  selectedKey?: string | null;
  rowClassName?: (row: T) => string | undefined;
  rowData?: (row: T) => Record<`data-${string}`, string>;
  /** A full-width line under the row (e.g. why an app is flagged); null for none. */
  rowDetail?: (row: T) => ReactNode | null;
  rowDetailTestId?: string;
  /** Ids of the columns to show; all when absent. Sorting still works on a hidden column. */
  visibleColumns?: ReadonlySet<string>;
  empty?: ReactNode;
  /** Left side of the toolbar (filters); the copy button sits on the right. */
  toolbar?: ReactNode;
  /** Summary shown before the copy button, e.g. "52 applications · 1 flagged". */
  summary?: ReactNode;
  /**
   * Render only the first `limit` rows (after sorting) with a "Show all N" control under the table,
   * so hundreds of rows do not stall the screen; "Copy table" still copies every row.
   */
  limit?: number;
  /** Added to the table's own class, for a screen's column widths. */
  className?: string;
  /**
   * Sorting done elsewhere (in main, for tables read a page at a time): the rows come sorted, the headers show this
   * order and a click asks for another through onChange.
   */
  serverSort?: { sort: { column: string; dir: SortDir }; onChange: (sort: { column: string; dir: SortDir }) => void };
}

function compare(a: string | number, b: string | number): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b), 'en', { sensitivity: 'base', numeric: true });
}

function tsvCell(s: string): string {
  return s.replace(/[\t\r\n]+/g, ' ');
}

export function DataTable<T>(props: Props<T>) {
  const { label, columns, rows, rowKey, defaultSort, testId, rowTestId, onRowActivate, selectedKey, rowClassName, rowData, rowDetail, rowDetailTestId, visibleColumns, empty, toolbar, summary, limit, className, serverSort } = props;
  const { t } = useTranslation();
  const [localSort, setLocalSort] = useState(defaultSort);
  const sort = serverSort?.sort ?? localSort;
  const [showAll, setShowAll] = useState(false);

  const sorted = useMemo(() => {
    const col = columns.find((c) => c.id === sort.column);
    if (!col || serverSort) return rows;
    const key = col.sortValue ?? col.text;
    const factor = sort.dir === 'asc' ? 1 : -1;
    // Array.prototype.sort is stable: ties keep the order the caller gave.
    return [...rows].sort((a, b) => factor * compare(key(a), key(b)));
  }, [rows, columns, sort, serverSort]);

  const cut = limit !== undefined && !showAll && sorted.length > limit;
  const rendered = useMemo(() => (cut ? sorted.slice(0, limit) : sorted), [cut, sorted, limit]);

  const shown = useMemo(() => (visibleColumns ? columns.filter((c) => visibleColumns.has(c.id)) : columns), [columns, visibleColumns]);

  const asText = useMemo(() => {
    const copied = columns.filter((c) => c.header !== '');
    return [copied.map((c) => c.header), ...sorted.map((r) => copied.map((c) => tsvCell(c.text(r))))].map((line) => line.join('\t')).join('\n');
  }, [columns, sorted]);

  const toggle = (col: Column<T>) => {
    const next = (s: { column: string; dir: SortDir }) =>
      s.column === col.id ? { column: col.id, dir: s.dir === 'asc' ? ('desc' as const) : ('asc' as const) } : { column: col.id, dir: col.numeric ? ('desc' as const) : ('asc' as const) };
    if (serverSort) serverSort.onChange(next(serverSort.sort));
    else setLocalSort(next);
  };

  return (
    <div className="table-block">
      <div className="table-toolbar">
        <div className="table-toolbar-left">{toolbar}</div>
        <div className="table-toolbar-right">
          {summary ? <span className="table-summary" data-testid={`${testId}-summary`}>{summary}</span> : null}
          <CopyButton value={asText} label={t('table.copyLabel', { label: label.toLowerCase() })} text={t('table.copyTable')} testId={`${testId}-copy`} />
        </div>
      </div>
      <div className="table-scroll">
        <table className={className ? `data-table ${className}` : 'data-table'} aria-label={label} data-testid={testId}>
          <thead>
            <tr>
              {shown.map((c) => {
                const active = sort.column === c.id;
                const cls = `${c.className ?? ''}${c.numeric ? ' numeric' : ''}`.trim() || undefined;
                if (c.sortable === false) {
                  return (
                    <th key={c.id} scope="col" className={cls}>
                      {c.header ? c.header : <span className="visually-hidden">{t('table.actions')}</span>}
                    </th>
                  );
                }
                return (
                  <th key={c.id} scope="col" className={cls} aria-sort={active ? (sort.dir === 'asc' ? 'ascending' : 'descending') : 'none'}>
                    <button type="button" className="sort-button" onClick={() => toggle(c)} data-testid={`${testId}-sort-${c.id}`}>
                      {c.header}
                      <span aria-hidden="true" className={`sort-mark${active ? ' active' : ''}`}>
                        {active ? (sort.dir === 'asc' ? '↑' : '↓') : '↕'}
                      </span>
                    </button>
                  </th>
                );
              })}
            </tr>
          </thead>
          {sorted.length === 0 ? (
            <tbody>
              <tr className="empty-row">
                <td colSpan={shown.length}>{empty ?? t('common.noRows')}</td>
              </tr>
            </tbody>
          ) : (
            // One <tbody> per row: a row and its detail line highlight and select together.
            rendered.map((r) => {
              const key = rowKey(r);
              const selected = selectedKey === key;
              const detail = rowDetail?.(r) ?? null;
              const activate = onRowActivate ? () => onRowActivate(r) : undefined;
              const groupClass = [onRowActivate ? 'clickable' : '', selected ? 'selected' : '', detail ? 'has-detail' : '', rowClassName?.(r) ?? ''].join(' ').trim();
              return (
                <tbody key={key} className={`row-group ${groupClass}`.trim()} data-selected={selected ? 'true' : undefined}>
                  <tr data-testid={rowTestId} data-key={key} data-selected={selected ? 'true' : undefined} onClick={activate} {...rowData?.(r)}>
                    {shown.map((c) => (
                      <td key={c.id} className={`${c.className ?? ''}${c.numeric ? ' numeric' : ''}`.trim() || undefined} data-column={c.id}>
                        {c.render ? c.render(r) : c.text(r)}
                      </td>
                    ))}
                  </tr>
                  {detail ? (
                    <tr className="detail-row" data-testid={rowDetailTestId} onClick={activate} {...rowData?.(r)}>
                      <td colSpan={shown.length}>{detail}</td>
                    </tr>
                  ) : null}
                </tbody>
              );
            })
          )}
        </table>
      </div>
      {cut ? (
        <div className="table-more" data-testid={`${testId}-more`}>
          <span className="muted small">
            {t('table.showingFirst', { shown: rendered.length, total: sorted.length })}
          </span>
          <button type="button" className="button button-small" onClick={() => setShowAll(true)} data-testid={`${testId}-show-all`}>
            {t('table.showAll', { total: sorted.length })}
          </button>
        </div>
      ) : null}
    </div>
  );
}
