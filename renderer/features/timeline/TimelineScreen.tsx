// Renderer: the Timeline screen — every event of the case in one virtualized table, filters and full-text search, a histogram to zoom by, pins.
import { useCallback, useEffect, useMemo, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, toApiError, type ApiError, type DetectionReport, type TimelineBucketView, type TimelineFilter, type TimelineOverview, type TimelinePinView } from '../../lib/api';
import { useCase } from '../../lib/caseState';
import { formatCount } from '../../lib/format';
import { ErrorNotice } from '../../components/ErrorNotice';
import { ruleTexts, stageWord, subjectName } from '../findings/findingText';
import { BUCKET_MS, Histogram } from './Histogram';
import { PinsPanel } from './PinsPanel';
import { RecordDialog } from './RecordDialog';
import { TimelineTable, type Anchor } from './TimelineTable';
import { exportScopeHref, isEmptyFilter, timelineQueryHref, typedTimeToUtc, utcToTyped } from './timelineFilter';
import { useAddressFilter } from './useAddressFilter';
import { resultName, sourceName } from './timelineText';
import '../findings/findings.css';
import './timeline.css';


function go(filter: TimelineFilter, stage?: string | null) {
  window.location.hash = timelineQueryHref(filter, stage).slice(1);
}

export function TimelineScreen() {
  const { t } = useTranslation();
  const { openCase, displayZone } = useCase();
  const { filter, stage } = useAddressFilter();
  const filterKey = JSON.stringify(filter);
  const [overview, setOverview] = useState<TimelineOverview | null>(null);
  const [report, setReport] = useState<DetectionReport | null>(null);
  const [count, setCount] = useState<number | null>(null);
  const [buckets, setBuckets] = useState<TimelineBucketView[] | null>(null);
  const [bucketPick, setBucketPick] = useState<'hour' | 'day' | null>(null);
  const [split, setSplit] = useState<'source' | 'result'>('source');
  const [anchor, setAnchor] = useState<{ anchor: Anchor; nonce: number }>({ anchor: { kind: 'first' }, nonce: 0 });
  const [openId, setOpenId] = useState<number | null>(null);
  const [pins, setPins] = useState<TimelinePinView[] | null>(null);
  const [pinVersion, setPinVersion] = useState(0);
  const [error, setError] = useState<ApiError | null>(null);

  const caseId = openCase?.caseId;
  useEffect(() => {
    if (!caseId) return;
    let live = true;
    api.timeline.overview().then((o) => live && setOverview(o), (err: unknown) => live && setError(toApiError(err)));
    return () => {
      live = false;
    };
  }, [caseId]);

  // The findings (their titles for the filter) are read only when a finding is in the filter or the list is opened:
  // running the rules over a large case is not in the way of the first rows.
  const [wantFindings, setWantFindings] = useState(false);
  const needFindings = wantFindings || !!filter.finding || !!filter.findings?.length;
  useEffect(() => {
    if (!caseId || !needFindings) return;
    let live = true;
    api.findings.list().then((r) => live && setReport(r), () => undefined);
    return () => {
      live = false;
    };
  }, [caseId, needFindings]);

  const loadPins = useCallback(() => {
    api.timeline.pins().then(setPins, (err: unknown) => setError(toApiError(err)));
  }, []);
  useEffect(() => {
    if (caseId) loadPins();
  }, [caseId, loadPins, pinVersion]);

  // A new filter: the table starts at its first rows, the zoom's bucket is chosen again.
  useEffect(() => {
    setAnchor((a) => ({ anchor: { kind: 'first' }, nonce: a.nonce + 1 }));
    setBucketPick(null);
    setCount(null);
    let live = true;
    const f = JSON.parse(filterKey) as TimelineFilter;
    api.timeline.count([f]).then(([n]) => live && setCount(n ?? 0), (err: unknown) => live && setError(toApiError(err)));
    return () => {
      live = false;
    };
  }, [filterKey]);

  // The span the histogram draws: the filter's range, else the whole case.
  const domain = useMemo(() => {
    const from = filter.from ? Date.parse(filter.from) : overview?.first ? Date.parse(overview.first) : NaN;
    const to = filter.to ? Date.parse(filter.to) : overview?.last ? Date.parse(overview.last) + 1 : NaN;
    return Number.isNaN(from) || Number.isNaN(to) ? null : { from, to: Math.max(to, from + 1) };
  }, [filter.from, filter.to, overview]);
  // Without a range of its own, the drawing narrows to where nearly all events lie (objects created years before the
  // attack would squeeze its bursts into a sliver); the events left out are said, and a click draws everything.
  const [wholeRange, setWholeRange] = useState(false);
  const [focusFrom, setFocusFrom] = useState<{ key: string; range: { from: number; to: number; before: number; after: number } | null } | null>(null);
  const focus = !wholeRange && !filter.from && !filter.to && focusFrom?.key === filterKey ? focusFrom.range : null;
  const span = focus ? focus.to - focus.from : domain ? domain.to - domain.from : 0;
  // Hours up to two months (1,440 bars at most: an attack's burst of a few hours stands out), days beyond.
  const bucket: 'hour' | 'day' = bucketPick ?? (domain && span <= 60 * BUCKET_MS.day ? 'hour' : 'day');
  const shown = focus ?? domain;
  const drawn = shown
    ? { from: Math.floor(shown.from / BUCKET_MS[bucket]) * BUCKET_MS[bucket], to: Math.ceil(shown.to / BUCKET_MS[bucket]) * BUCKET_MS[bucket] }
    : null;
  const inDrawn = buckets && drawn ? buckets.filter((b) => Date.parse(b.start) >= drawn.from && Date.parse(b.start) < drawn.to) : null;

  useEffect(() => {
    let live = true;
    setBuckets(null);
    const f = JSON.parse(filterKey) as TimelineFilter;
    api.timeline.histogram(f, bucket, split).then((b) => {
      if (!live) return;
      setBuckets(b);
      // The focus is found once per filter, from day bars (hour bars of a narrowed range would find it again, narrower).
      setFocusFrom((old) => (old?.key === filterKey ? old : { key: filterKey, range: focusRange(b, bucket) }));
    }, (err: unknown) => live && setError(toApiError(err)));
    return () => {
      live = false;
    };
  }, [filterKey, bucket, split]);
  useEffect(() => setWholeRange(false), [filterKey]);

  const findingTitle = (key: string) => {
    const f = report?.findings.find((x) => x.key === key);
    return f ? `${ruleTexts(f).title} · ${subjectName(f)}` : key;
  };
  const jump = (a: Anchor) => setAnchor((x) => ({ anchor: a, nonce: x.nonce + 1 }));

  return (
    <div className="screen screen-wide timeline-screen" data-testid="timeline">
      <div className="screen-head">
        <h1>{t('timeline.title')}</h1>
        <p className="screen-lede">{t('timeline.lede')}</p>
      </div>
      {error ? <ErrorNotice error={error} title={t('timeline.readError')} testId="timeline-screen-error" /> : null}
      <FilterForm key={filterKey + displayZone} filter={filter} overview={overview} report={report} zone={displayZone} onApply={(f) => go(f)} onWantFindings={() => setWantFindings(true)} />
      <ActiveFilter filter={filter} stage={stage} findingTitle={findingTitle} />
      <section className="panel timeline-overview" aria-labelledby="timeline-histogram-head">
        <div className="panel-head timeline-bar">
          <h2 id="timeline-histogram-head" data-testid="timeline-count" data-count={count ?? ''}>
            {count === null ? t('timeline.counting') : isEmptyFilter(filter) ? t('timeline.allEvents', { count }) : t('timeline.matching', { count, total: formatCount(overview?.total ?? 0) })}
          </h2>
          <div className="timeline-controls">
            {!isEmptyFilter(filter) ? (
              <a className="button button-small" href={exportScopeHref(filter)} data-testid="timeline-export-these">
                {t('timeline.exportThese')}
              </a>
            ) : null}
            <div className="segmented" role="group" aria-label={t('timeline.histogram.bucket')}>
              {(['hour', 'day'] as const).map((b) => (
                <button key={b} type="button" aria-pressed={bucket === b} onClick={() => setBucketPick(b)} data-testid={`histogram-bucket-${b}`}>
                  {t(`timeline.histogram.${b}`)}
                </button>
              ))}
            </div>
            <div className="segmented" role="group" aria-label={t('timeline.histogram.split')}>
              {(['source', 'result'] as const).map((s) => (
                <button key={s} type="button" aria-pressed={split === s} onClick={() => setSplit(s)} data-testid={`histogram-split-${s}`}>
                  {t(`timeline.histogram.by${s === 'source' ? 'Source' : 'Result'}`)}
                </button>
              ))}
            </div>
            {filter.from || filter.to ? (
              <button type="button" className="button button-small" onClick={() => go({ ...filter, from: undefined, to: undefined }, stage)} data-testid="histogram-reset">
                {t('timeline.histogram.reset')}
              </button>
            ) : null}
          </div>
        </div>
        {focus && (focus.before > 0 || focus.after > 0) ? (
          <p className="small muted timeline-focus" data-testid="histogram-focus">
            {t('timeline.histogram.focus', { before: formatCount(focus.before), after: formatCount(focus.after) })}{' '}
            <button type="button" className="link-button" onClick={() => setWholeRange(true)} data-testid="histogram-whole">
              {t('timeline.histogram.whole')}
            </button>
          </p>
        ) : null}
        {inDrawn && drawn ? (
          <Histogram
            buckets={inDrawn}
            bucket={bucket}
            split={split}
            domain={drawn}
            onZoom={(from, to) => go({ ...filter, from, to }, stage)}
            onJump={(at) => jump({ kind: 'at', at })}
          />
        ) : (
          <p className="muted histogram-placeholder">{overview && overview.total === 0 ? t('timeline.noEvents') : t('timeline.histogram.loading')}</p>
        )}
        <p className="field-hint">{t('timeline.histogram.hint')}</p>
      </section>
      <div className="timeline-nav">
        <button type="button" className="button button-small" onClick={() => jump({ kind: 'first' })} data-testid="timeline-first">
          {t('timeline.table.first')}
        </button>
        <button type="button" className="button button-small" onClick={() => jump({ kind: 'last' })} data-testid="timeline-last">
          {t('timeline.table.last')}
        </button>
        <JumpTo zone={displayZone} onJump={(at) => jump({ kind: 'at', at })} />
      </div>
      <TimelineTable filter={filter} anchor={anchor.anchor} key={anchor.nonce} version={pinVersion} onOpen={setOpenId} />
      <PinsPanel
        pins={pins}
        onOpen={setOpenId}
        onShow={(p) => {
          if (!isEmptyFilter(filter)) go({});
          jump({ kind: 'at', at: p.eventAt, id: p.timelineId ?? undefined });
        }}
      />
      {openId !== null ? <RecordDialog key={openId} id={openId} onClose={() => setOpenId(null)} onPinsChanged={() => setPinVersion((v) => v + 1)} /> : null}
    </div>
  );
}

/**
 * The span holding all but the sparse outliers at either end (at most 2.5% of the events each side) when it is much
 * narrower than the whole: the drawing's focus. Null when everything should be drawn.
 */
export function focusRange(buckets: TimelineBucketView[], bucket: 'hour' | 'day'): { from: number; to: number; before: number; after: number } | null {
  const total = buckets.reduce((n, b) => n + b.total, 0);
  if (buckets.length < 2 || total === 0) return null;
  const cut = Math.floor(total * 0.025);
  let i = 0;
  let before = 0;
  while (i < buckets.length - 1 && before + buckets[i]!.total <= cut) before += buckets[i++]!.total;
  let j = buckets.length - 1;
  let after = 0;
  while (j > i && after + buckets[j]!.total <= cut) after += buckets[j--]!.total;
  const from = Date.parse(buckets[i]!.start);
  const to = Date.parse(buckets[j]!.start) + BUCKET_MS[bucket];
  const whole = Date.parse(buckets.at(-1)!.start) + BUCKET_MS[bucket] - Date.parse(buckets[0]!.start);
  return to - from < whole / 4 ? { from, to, before, after } : null;
}

function JumpTo({ zone, onJump }: { zone: string; onJump: (at: string) => void }) {
  const { t } = useTranslation();
  const [text, setText] = useState('');
  const [bad, setBad] = useState(false);
  return (
    <form
      className="timeline-jump"
      onSubmit={(e) => {
        e.preventDefault();
        const at = typedTimeToUtc(text, zone);
        setBad(at === null);
        if (at) onJump(at);
      }}
    >
      <input type="text" className="text-input" value={text} onChange={(e) => setText(e.target.value)} placeholder="2024-05-01 10:00" aria-label={t('timeline.table.jumpLabel', { zone })} aria-invalid={bad} data-testid="timeline-jump-input" />
      <button type="submit" className="button button-small">
        {t('timeline.table.jump')}
      </button>
      {bad ? <span className="field-error">{t('timeline.filter.badTime')}</span> : null}
    </form>
  );
}

interface FormProps {
  filter: TimelineFilter;
  overview: TimelineOverview | null;
  report: DetectionReport | null;
  zone: string;
  onApply: (filter: TimelineFilter) => void;
  /** The finding list is about to be used: read the findings. */
  onWantFindings: () => void;
}

type TextField = 'operation' | 'actor' | 'ip' | 'target' | 'ioc';

function FilterForm({ filter, overview, report, zone, onApply, onWantFindings }: FormProps) {
  const { t } = useTranslation();
  const initial = () => ({
    search: filter.search ?? '',
    from: filter.from ? utcToTyped(filter.from, zone) : '',
    to: filter.to ? utcToTyped(filter.to, zone) : '',
    sources: filter.sources ?? [],
    operation: filter.operation ?? '',
    actor: filter.actor ?? '',
    ip: filter.ip ?? '',
    target: filter.target ?? '',
    result: filter.result ?? '',
    supporting: filter.supporting === true,
    finding: filter.finding ?? '',
    ioc: filter.ioc ?? '',
  });
  // The screen gives the form a new key when the address or the zone changes: it starts again from them.
  const [form, setForm] = useState(initial);
  const [bad, setBad] = useState<string[]>([]);
  // The filters beyond search fold away on a small window (where they would push the table out of view) unless in use.
  const activeCount = [filter.from, filter.to, filter.operation, filter.actor, filter.ip, filter.target, filter.result, filter.finding, filter.ioc, filter.supporting, filter.sources?.length]
    .filter((v) => v !== undefined && v !== false && v !== 0).length;
  const [moreOpen, setMoreOpen] = useState(() => activeCount > 0 || window.innerWidth >= 1280);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const from = form.from.trim() ? typedTimeToUtc(form.from, zone) : undefined;
    const to = form.to.trim() ? typedTimeToUtc(form.to, zone) : undefined;
    const wrong = [from === null ? 'from' : '', to === null ? 'to' : ''].filter(Boolean);
    setBad(wrong);
    if (wrong.length) return;
    const text = (v: string) => (v.trim() ? v.trim() : undefined);
    onApply({
      search: text(form.search), from: from ?? undefined, to: to ?? undefined, sources: form.sources.length ? form.sources : undefined,
      operation: text(form.operation), actor: text(form.actor), ip: text(form.ip), target: text(form.target), result: text(form.result),
      supporting: form.supporting || undefined, finding: text(form.finding), ioc: text(form.ioc),
      // A stage's findings stay until cleared: they came from a link, not from this form.
      findings: filter.findings,
    });
  };
  const textField = (name: TextField, placeholder: string) => (
    <div className="field">
      <label htmlFor={`tl-${name}`}>{t(`timeline.filter.${name}`)}</label>
      <input id={`tl-${name}`} type="text" value={form[name]} placeholder={placeholder} onChange={(e) => setForm({ ...form, [name]: e.target.value })} data-testid={`timeline-filter-${name}`} />
    </div>
  );
  const findings = report?.findings ?? [];

  return (
    <form className="panel timeline-filters" onSubmit={submit} aria-label={t('timeline.filter.label')} data-testid="timeline-filters">
      <div className="timeline-search">
        <label htmlFor="tl-search" className="visually-hidden">{t('timeline.filter.search')}</label>
        <input
          id="tl-search"
          className="text-input"
          type="search"
          value={form.search}
          onChange={(e) => setForm({ ...form, search: e.target.value })}
          placeholder={t('timeline.filter.searchPlaceholder')}
          data-testid="timeline-search"
        />
        <button type="submit" className="button button-primary" data-testid="timeline-apply">
          {t('timeline.filter.apply')}
        </button>
        <button type="button" className="button" onClick={() => onApply({})} data-testid="timeline-clear">
          {t('timeline.filter.clear')}
        </button>
      </div>
      <details className="timeline-more" open={moreOpen} onToggle={(e) => setMoreOpen(e.currentTarget.open)}>
        <summary data-testid="timeline-more-filters">{t('timeline.filter.more', { count: activeCount })}</summary>
      <div className="timeline-filter-grid">
        <div className={`field${bad.includes('from') ? ' has-error' : ''}`}>
          <label htmlFor="tl-from">{t('timeline.filter.from', { zone })}</label>
          <input id="tl-from" type="text" value={form.from} placeholder="2024-05-01 09:00" onChange={(e) => setForm({ ...form, from: e.target.value })} data-testid="timeline-filter-from" />
        </div>
        <div className={`field${bad.includes('to') ? ' has-error' : ''}`}>
          <label htmlFor="tl-to">{t('timeline.filter.to', { zone })}</label>
          <input id="tl-to" type="text" value={form.to} placeholder="2024-05-02" onChange={(e) => setForm({ ...form, to: e.target.value })} data-testid="timeline-filter-to" />
        </div>
        {textField('operation', 'Add service principal.')}
        {textField('actor', 'user@contoso.com')}
        {textField('ip', '203.0.113.7')}
        {textField('target', t('timeline.filter.targetPlaceholder'))}
        <div className="field">
          <label htmlFor="tl-result">{t('timeline.filter.result')}</label>
          <select id="tl-result" value={form.result} onChange={(e) => setForm({ ...form, result: e.target.value })} data-testid="timeline-filter-result">
            <option value="">{t('timeline.filter.any')}</option>
            {(overview?.results ?? []).map((r) => (
              <option key={r.name} value={r.name}>
                {resultName(r.name)} ({formatCount(r.count)})
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="tl-finding">{t('timeline.filter.finding')}</label>
          <select
            id="tl-finding"
            value={form.finding}
            onChange={(e) => setForm({ ...form, finding: e.target.value })}
            onFocus={onWantFindings}
            onPointerDown={onWantFindings}
            data-testid="timeline-filter-finding"
          >
            <option value="">{t('timeline.filter.any')}</option>
            {form.finding && !findings.some((f) => f.key === form.finding) ? <option value={form.finding}>{form.finding}</option> : null}
            {findings.map((f) => (
              <option key={f.key} value={f.key}>
                {ruleTexts(f).title} · {subjectName(f)}
              </option>
            ))}
          </select>
        </div>
        {textField('ioc', t('timeline.filter.iocPlaceholder'))}
      </div>
      <div className="timeline-filter-row">
        <fieldset className="timeline-sources">
          <legend>{t('timeline.filter.sources')}</legend>
          {(overview?.sources ?? []).map((s) => (
            <label key={s.name} className="check">
              <input
                type="checkbox"
                checked={form.sources.includes(s.name)}
                onChange={(e) => setForm({ ...form, sources: e.target.checked ? [...form.sources, s.name] : form.sources.filter((x) => x !== s.name) })}
                data-testid={`timeline-source-${s.name}`}
              />
              {sourceName(s.name)} <span className="muted small">{formatCount(s.count)}</span>
            </label>
          ))}
        </fieldset>
        <label className="check">
          <input type="checkbox" checked={form.supporting} onChange={(e) => setForm({ ...form, supporting: e.target.checked })} data-testid="timeline-filter-supporting" />
          {t('timeline.filter.supporting')}
        </label>
      </div>
      </details>
      {bad.length ? <p className="field-error" role="alert">{t('timeline.filter.badTime')}</p> : null}
    </form>
  );
}

/** What the table is filtered to, in words, when it came from elsewhere (a finding, a stage, an indicator). */
function ActiveFilter({ filter, stage, findingTitle }: { filter: TimelineFilter; stage: string | null; findingTitle: (key: string) => string }) {
  const { t } = useTranslation();
  const parts: string[] = [];
  if (filter.finding) parts.push(t('timeline.active.finding', { title: findingTitle(filter.finding) }));
  if (filter.findings?.length) parts.push(stage ? t('timeline.active.stage', { stage: stageWord(stage as Parameters<typeof stageWord>[0]) }) : t('timeline.active.findings', { count: filter.findings.length }));
  if (filter.ioc) parts.push(t('timeline.active.ioc', { value: filter.ioc }));
  if (parts.length === 0) return null;
  return (
    <p className="timeline-active" data-testid="timeline-active">
      {parts.join(' · ')}{' '}
      <button type="button" className="link-button" onClick={() => go({ ...filter, finding: undefined, findings: undefined, ioc: undefined })} data-testid="timeline-active-clear">
        {t('timeline.active.clear')}
      </button>
    </p>
  );
}
