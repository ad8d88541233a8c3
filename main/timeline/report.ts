// Main process and CLI (export): report.html — the one file a client opens in a browser: scope, storyline, findings with their evidence, remediation, pins, custody and how to verify. Self-contained: inline CSS, no script, nothing fetched.
import type { Database } from 'better-sqlite3';
import type { DetectionReport, Finding, Severity } from '../../preload/contract';
import type { CaseMeta } from '../../db/queries/caseMeta';
import type { CustodyEntry } from '../../db/queries/custody';
import { currentPins } from '../../db/queries/pins';
import { outputText, stageSummary, type OutputLanguage, type OutputText } from '../i18n/texts';
import { listRuns, type CollectionRun } from '../../db/queries/runs';
import { listSources, type SourceRecord } from '../../db/queries/sources';

export const REPORT_FILE = 'report.html';

/** Everything the report shows, read in the export's snapshot. */
export interface ReportData {
  meta: CaseMeta;
  createdAt: string;
  toolVersion: string;
  signer: { identity: string; fingerprint: string };
  custodyHead: string;
  custody: CustodyEntry[];
  detection: DetectionReport;
  runs: { run: CollectionRun; sources: SourceRecord[] }[];
  timeline: { total: number; bySource: { source: string; n: number }[]; days: { day: string; bySource: Record<string, number>; total: number }[] };
  pins: { source: string; recordId: string; note: string; eventAt: string; evidenceSha256: string | null; at: string; actor: string; custodySeq: number; message: string | null }[];
  /** actions.json as the export writes it, when there is a remediation record. */
  remediation: { steps: { id: string; phase: string; title: string; state: string; findingKeys: string[] }[]; actions: { custodySeq: number; at: string; actor: string; step: string; item: string; outcome: string; note: string }[] } | null;
  /** The other files of the export with their hashes (the manifest lists this one too). */
  files: { name: string; sha256: string; bytes: number }[];
  verifyCommands: string[];
  /** The report's language (default English): its own words and the rules' texts; names, ids and values as written. */
  lang?: OutputLanguage;
  /** A scoped export: its filters, the events its timeline files hold and the case's (null: every event). */
  scoped?: { filter: Record<string, string | boolean | string[]>; events: number; caseEvents: number } | null;
}

/** A scoped export's filters in words, as the report, VERIFY.txt and the custody entry state them. */
export function scopeFilterWords(filter: Record<string, string | boolean | string[]>): string {
  return Object.entries(filter)
    .map(([k, v]) => (k === 'supporting' ? 'only events that support a finding' : `${k} ${Array.isArray(v) ? v.join(', ') : String(v)}`))
    .join('; ');
}

/** The report's data from the case, inside the export's read transaction. */
export function readReportData(db: Database): Pick<ReportData, 'runs' | 'timeline' | 'pins'> {
  const runs = listRuns(db).map((run) => ({ run, sources: listSources(db, run.runId) }));
  const bySource = db.prepare('SELECT source, sum(n) AS n FROM timeline_hour GROUP BY source ORDER BY n DESC').all() as { source: string; n: number }[];
  const dayRows = db.prepare('SELECT substr(hour, 1, 10) AS day, source, sum(n) AS n FROM timeline_hour GROUP BY 1, 2 ORDER BY 1').all() as { day: string; source: string; n: number }[];
  const days: ReportData['timeline']['days'] = [];
  for (const r of dayRows) {
    let d = days.at(-1);
    if (!d || d.day !== r.day) days.push((d = { day: r.day, bySource: {}, total: 0 }));
    d.bySource[r.source] = r.n;
    d.total += r.n;
  }
  const message = db.prepare('SELECT message FROM timeline WHERE source = ? AND record_id = ?').pluck();
  const pins = currentPins(db).map((p) => ({
    source: p.source, recordId: p.recordId, note: p.note, eventAt: p.eventAt, evidenceSha256: p.evidenceSha256, at: p.at, actor: p.actor, custodySeq: p.custodySeq,
    message: (message.get(p.source, p.recordId) as string | undefined) ?? null,
  }));
  return { runs, timeline: { total: bySource.reduce((n, s) => n + s.n, 0), bySource, days }, pins };
}

const esc = (v: unknown): string =>
  String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
/** A time as the report writes it (UTC, to the second), as text; `utc` is the same escaped for HTML. */
const utcText = (at: string | null | undefined) => (at ? `${at.slice(0, 19).replace('T', ' ')} UTC` : '—');
const utc = (at: string | null | undefined) => esc(utcText(at));
const severityWord = (x: OutputText, s: Severity) => (x.lang === 'en' ? s : x.t(`common.severity.${s}`));
/** A timeline source's name: the report's own English words, the screens' catalog in another language. */
const sourceName = (x: OutputText, source: string) => (x.lang === 'en' || !x.has(`timeline.source.${source}`) ? (SOURCE_WORDS[source] ?? source) : x.t(`timeline.source.${source}`));
const SEVERITIES: Severity[] = ['critical', 'high', 'medium', 'low', 'info'];
const SOURCE_WORDS: Record<string, string> = {
  signin: 'Sign-ins', directory_audit: 'Directory audits', ual: 'Unified Audit Log', exchange: 'Exchange cmdlets', object: 'Object lifetimes', finding: 'Findings (first seen)', custody: 'Custody entries',
};
const SOURCE_COLOURS: Record<string, string> = {
  signin: '#1f56c2', directory_audit: '#6b3fa0', ual: '#0f7b6c', exchange: '#b45309', object: '#5a6370', finding: '#b3261e', custody: '#9aa3ae',
};
/** Events listed per finding; the rest are named by count (all are in timeline.jsonl under the finding's key). */
const EVENTS_LISTED = 25;

const CSS = `
:root { color-scheme: light; --text: #1a1e24; --muted: #5a6370; --border: #dde1e7; --soft: #f4f5f7; --accent: #1f56c2; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1040px; padding: 32px 28px 64px; font: 14px/1.5 system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', 'Hiragino Sans', 'Noto Sans CJK JP', sans-serif; color: var(--text); }
h1 { font-size: 26px; margin: 0 0 4px; } h2 { font-size: 19px; margin: 36px 0 10px; padding-bottom: 4px; border-bottom: 2px solid var(--border); }
h3 { font-size: 15px; margin: 22px 0 6px; } p { margin: 6px 0; }
.muted { color: var(--muted); } .small { font-size: 12.5px; } .mono, code { font-family: ui-monospace, 'SF Mono', Consolas, 'DejaVu Sans Mono', monospace; font-size: 12px; overflow-wrap: anywhere; }
table { width: 100%; border-collapse: collapse; margin: 8px 0; font-size: 13px; } th, td { text-align: left; vertical-align: top; padding: 5px 8px; border-bottom: 1px solid var(--border); }
th { background: var(--soft); font-weight: 600; } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 3px 16px; margin: 10px 0; } dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.sev { display: inline-block; padding: 0 7px; border-radius: 10px; font-size: 12px; font-weight: 600; color: #fff; }
.sev-critical { background: #8f1239; } .sev-high { background: #b3261e; } .sev-medium { background: #8a5a00; } .sev-low { background: #1f56c2; } .sev-info { background: #5a6370; }
.finding { border: 1px solid var(--border); border-radius: 8px; padding: 4px 16px 12px; margin: 14px 0; break-inside: avoid-page; }
ol.story li { margin: 4px 0; } .unlit { color: var(--muted); }
.warn { color: #8a5a00; font-weight: 600; } .bad { color: #b3261e; font-weight: 600; } .ok { color: #17703a; font-weight: 600; }
pre { background: var(--soft); border: 1px solid var(--border); border-radius: 6px; padding: 8px 10px; white-space: pre-wrap; overflow-wrap: anywhere; font-size: 12px; }
.legend span { display: inline-block; margin-right: 14px; } .swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; vertical-align: -1px; }
.pin { border-left: 3px solid var(--accent); background: var(--soft); padding: 6px 12px; margin: 8px 0; }
header.cover { border-bottom: 3px solid var(--text); padding-bottom: 12px; }
@media print { body { padding: 0; max-width: none; } h2 { break-after: avoid-page; } a { color: inherit; text-decoration: none; } }
`;

/** The report as one HTML document. Every value from the case or the tenant is escaped. */
export function reportHtml(d: ReportData): string {
  const x = outputText(d.lang ?? 'en');
  const r = (key: string, values?: Record<string, unknown>) => x.t(`handover.report.${key}`, values);
  const kept = d.detection.findings.filter((f) => f.triage.state !== 'false_positive');
  const dismissed = d.detection.findings.length - kept.length;
  const out: string[] = [];
  out.push(`<!DOCTYPE html>
<html lang="${x.lang}">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(r('docTitle', { name: d.meta.name }))}</title>
<style>${CSS}</style>
</head>
<body>
<header class="cover">
<p class="muted small">${esc(r('kicker'))}</p>
<h1>${esc(d.meta.name)}</h1>
<dl class="facts">
<dt>${esc(r('client'))}</dt><dd>${esc(d.meta.client ?? '—')}</dd>
<dt>${esc(r('reference'))}</dt><dd>${esc(d.meta.reference ?? '—')}</dd>
<dt>${esc(r('examiner'))}</dt><dd>${esc(d.meta.examiner)}</dd>
<dt>${esc(r('caseId'))}</dt><dd class="mono">${esc(d.meta.caseId)}</dd>
<dt>${esc(r('exported'))}</dt><dd>${esc(r('exportedBy', { at: utcText(d.createdAt), version: d.toolVersion }))}</dd>
<dt>${esc(r('signedBy'))}</dt><dd>${esc(d.signer.identity)} · ${esc(r('key'))} <span class="mono">${esc(d.signer.fingerprint)}</span></dd>
<dt>${esc(r('custodyHead'))}</dt><dd class="mono">${esc(d.custodyHead)}</dd>
<dt>${esc(r('timeline'))}</dt><dd data-scope="${d.scoped ? 'part' : 'whole'}">${d.scoped ? `<span class="warn">${esc(r('timelinePart'))}</span>: ${esc(scopeFilterWords(d.scoped.filter))} · ${esc(r('timelinePartCount', { events: d.scoped.events.toLocaleString('en'), total: d.scoped.caseEvents.toLocaleString('en') }))}` : esc(r('timelineWhole'))}</dd>
</dl>
<p class="small muted">${esc(r(d.scoped ? 'introPart' : 'introWhole', { zone: d.meta.timeZone }))}</p>
</header>
<nav><p class="small">${(['scope', 'timeline', 'story', 'pins', 'findings', 'remediation', 'custody', 'verify'] as const).map((id) => `<a href="#${id}">${esc(r(`nav${id[0]!.toUpperCase()}${id.slice(1)}`))}</a>`).join(' · ')}</p></nav>
`);
  out.push(scopeSection(d, r));
  out.push(timelineSection(d, x, r));
  out.push(`<h2 id="story">${esc(r('navStory'))}</h2>\n<ol class="story">`);
  const byKey = new Map(d.detection.findings.map((f) => [f.key, f]));
  for (const s of d.detection.storyline) {
    const title = x.stageTitle(s);
    out.push(s.lit ? `<li><strong>${esc(title)}</strong>: ${esc(stageSummary(x, s, byKey))} <span class="muted">(${utc(s.at)})</span></li>` : `<li class="unlit"><strong>${esc(title)}</strong>: ${esc(r('noEvidence'))}</li>`);
  }
  out.push('</ol>');
  const story = kept.find((f) => f.ruleId === 'storyline.oauth-mail-abuse');
  if (story) out.push(`<p>${esc(r('inOrder', { story: x.reason(story) }))}</p>`);

  out.push(pinsSection(d, x, r));
  out.push(`<h2 id="findings">${esc(r('navFindings'))}</h2>`);
  out.push(`<p>${esc(r('findingsCount', { count: kept.length, rules: d.detection.rules.length, at: utcText(d.detection.collectedAt) }))}${dismissed ? esc(r('dismissed', { count: dismissed })) : ''}${esc(r('end'))}</p>`);
  out.push(`<table><thead><tr><th>${esc(r('colSeverity'))}</th><th class="num">${esc(r('colFindings'))}</th></tr></thead><tbody>`);
  for (const s of SEVERITIES) {
    const n = kept.filter((f) => f.severity === s).length;
    if (n) out.push(`<tr><td><span class="sev sev-${s}">${esc(severityWord(x, s))}</span></td><td class="num">${n}</td></tr>`);
  }
  out.push('</tbody></table>');
  for (const s of SEVERITIES) for (const f of kept.filter((k) => k.severity === s)) out.push(findingBlock(f, Boolean(d.scoped), x, r));

  out.push(remediationSection(d, r));
  out.push(custodySection(d, r));
  out.push(verifySection(d, r));
  out.push('</body>\n</html>\n');
  return out.join('\n');
}

type Words = (key: string, values?: Record<string, unknown>) => string;

/** A sentence escaped for HTML with one of its values (an id, a key) in its own monospace span. */
function withMono(r: Words, key: string, values: Record<string, unknown>, mono: string, value: string): string {
  const [before = '', after = ''] = r(key, { ...values, [mono]: '\u0000' }).split('\u0000');
  return `${esc(before)}<span class="mono">${esc(value)}</span>${esc(after)}`;
}

function scopeSection(d: ReportData, r: Words): string {
  const out = [`<h2 id="scope">${esc(r('navScope'))}</h2>`];
  if (d.runs.length === 0) return `${out[0]}<p>${esc(r('noCollection'))}</p>`;
  for (const { run, sources } of d.runs) {
    out.push(`<h3>${esc(r('collectionOf', { at: utcText(run.startedAt) }))} <span class="muted small">(${esc(run.state)}${run.finishedAt ? esc(r('finishedAt', { at: utcText(run.finishedAt) })) : ''})</span></h3>`);
    out.push(`<p class="small">${withMono(r, 'tenantReadBy', { environment: run.environment, account: run.account ?? r('unknownAccount') }, 'tenant', run.tenantId)}${run.error ? ` <span class="bad">${esc(run.error)}</span>` : ''}</p>`);
    out.push(`<table><thead><tr><th>${esc(r('colSource'))}</th><th>${esc(r('colState'))}</th><th class="num">${esc(r('colRecords'))}</th><th class="num">${esc(r('colPages'))}</th><th>${esc(r('colWindow'))}</th><th>${esc(r('colCompleteness'))}</th></tr></thead><tbody>`);
    for (const s of sources) {
      const gaps = [
        s.truncated ? `<span class="warn">${esc(r('heldMore'))}</span>` : '',
        ...s.notices.map((n) => `<span class="${n.kind === 'warning' ? 'warn' : 'bad'}">${esc(n.kind)}: ${esc(n.text)}</span>`),
        s.lastError ? `<span class="bad">${esc(s.lastError)}</span>` : '',
      ].filter(Boolean);
      const state = s.state === 'done' ? `<span class="ok">${esc(r('complete'))}</span>` : `<span class="bad">${esc(s.state)}</span>`;
      out.push(`<tr><td>${esc(s.label)}</td><td>${state}</td><td class="num">${s.records.toLocaleString('en')}</td><td class="num">${s.pages}</td><td class="small">${s.windowFrom ? `${utc(s.windowFrom)} – ${utc(s.windowTo)}` : '—'}</td><td class="small">${gaps.length ? gaps.join('<br>') : esc(r('allPagesRead'))}${s.retries ? ` <span class="muted">${esc(r('retries', { count: s.retries }))}</span>` : ''}</td></tr>`);
    }
    out.push('</tbody></table>');
  }
  return out.join('\n');
}

/** Events per day as stacked bars, drawn in SVG inside the page (no script). */
function timelineSection(d: ReportData, x: OutputText, r: Words): string {
  const sourceWord = (source: string) => sourceName(x, source);
  const out = [`<h2 id="timeline">${esc(r('navTimeline'))}</h2>`, `<p>${esc(r('eventsInTimeline', { count: d.timeline.total }))}</p>`, '<table><tbody>'];
  for (const s of d.timeline.bySource) out.push(`<tr><td>${esc(sourceWord(s.source))}</td><td class="num">${s.n.toLocaleString('en')}</td></tr>`);
  out.push('</tbody></table>');
  const days = d.timeline.days;
  if (days.length === 0) return out.join('\n');
  // The days holding all but at most 2.5% of the events at either end decide the drawn span, so objects created years
  // before and custody entries written weeks after do not squeeze the incident into a line.
  const total = d.timeline.total;
  let i = 0;
  let skipped = 0;
  while (i < days.length - 1 && skipped + days[i]!.total <= total * 0.025) skipped += days[i++]!.total;
  let j = days.length - 1;
  let skippedAfter = 0;
  while (j > i && skippedAfter + days[j]!.total <= total * 0.025) skippedAfter += days[j--]!.total;
  const shown = days.slice(i, j + 1);
  const start = Date.parse(`${shown[0]!.day}T00:00:00Z`);
  const span = Math.max(1, Math.round((Date.parse(`${shown.at(-1)!.day}T00:00:00Z`) - start) / 86_400_000) + 1);
  const W = 960;
  const H = 140;
  const max = Math.max(...shown.map((x) => x.total));
  const bw = Math.max(1, W / span - (W / span > 4 ? 1 : 0));
  const sources = d.timeline.bySource.map((s) => s.source);
  const bars: string[] = [];
  for (const day of shown) {
    const x = ((Date.parse(`${day.day}T00:00:00Z`) - start) / 86_400_000) * (W / span);
    let y = H;
    for (const s of sources) {
      const n = day.bySource[s] ?? 0;
      if (!n) continue;
      const h = Math.max(1, (n / max) * (H - 4));
      y -= h;
      bars.push(`<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${bw.toFixed(1)}" height="${h.toFixed(1)}" fill="${SOURCE_COLOURS[s] ?? '#888'}"><title>${esc(day.day)} ${esc(sourceWord(s))}: ${n}</title></rect>`);
    }
  }
  out.push(`<svg viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${esc(r('eventsPerDay'))}" style="max-width:${W}px;border-bottom:1px solid #c4cad3">${bars.join('')}</svg>`);
  out.push(`<p class="small muted">${esc(r('perDayFrom', { from: shown[0]!.day, to: shown.at(-1)!.day, max }))}${skipped || skippedAfter ? esc(r('notDrawn', { earlier: skipped, later: skippedAfter })) : ''}${esc(r('end'))}</p>`);
  out.push(`<p class="legend small">${sources.map((s) => `<span><span class="swatch" style="background:${SOURCE_COLOURS[s] ?? '#888'}"></span>${esc(sourceWord(s))}</span>`).join('')}</p>`);
  return out.join('\n');
}

function findingBlock(f: Finding, scoped: boolean, x: OutputText, r: Words): string {
  const english = x.lang === 'en';
  const rule = x.rule(f);
  const out = [`<section class="finding" id="f-${esc(f.key.replace(/[^A-Za-z0-9_-]/g, '-'))}">`];
  out.push(`<h3><span class="sev sev-${f.severity}">${esc(severityWord(x, f.severity))}</span> ${esc(rule.title)}: ${esc(x.subjectName(f))}</h3>`);
  out.push(`<p>${esc(x.reason(f))}</p>`);
  out.push('<dl class="facts small">');
  out.push(`<dt>${esc(r('whyItMatters'))}</dt><dd>${esc(rule.explanation)}</dd>`);
  if (f.attack.length) out.push(`<dt>MITRE ATT&amp;CK</dt><dd>${f.attack.map(esc).join(', ')}</dd>`);
  out.push(`<dt>${esc(r('seen'))}</dt><dd>${esc(r('seenRange', { first: utcText(f.firstAt), last: utcText(f.lastAt) }))}</dd>`);
  out.push(`<dt>${esc(r('toUndo', { phase: english ? f.remediation.phase : x.t(`findings.phase.${f.remediation.phase}`) }))}</dt><dd>${esc(rule.step)}</dd>`);
  if (f.triage.at) out.push(`<dt>${esc(r('triage'))}</dt><dd>${esc(english ? f.triage.state.replace('_', ' ') : x.t(`findings.triageState.${f.triage.state}`))}${f.triage.note ? `: ${esc(f.triage.note)}` : ''} (${esc(f.triage.by ?? '')}, ${utc(f.triage.at)})</dd>`);
  if (f.iocs.length) out.push(`<dt>${esc(r('indicators'))}</dt><dd>${f.iocs.map((i) => `<span class="mono">${esc(i.value)}</span> <span class="muted">(${esc(i.type)}: ${esc(x.iocContext(i))})</span>`).join('<br>')}</dd>`);
  out.push(`<dt>${esc(r('findingKey'))}</dt><dd class="mono">${esc(f.key)}</dd>`);
  out.push('</dl>');
  if (f.objects.length) {
    out.push(`<p class="small"><strong>${esc(r('objects', { count: f.objects.length }))}</strong></p><table class="small"><thead><tr><th>${esc(r('colKind'))}</th><th>${esc(r('colName'))}</th><th>${esc(r('colId'))}</th><th>${esc(r('colEvidenceSha'))}</th></tr></thead><tbody>`);
    for (const o of f.objects) out.push(`<tr><td>${esc(o.kind)}</td><td>${esc(o.name ?? '')}</td><td class="mono">${esc(o.id)}</td><td class="mono">${esc(o.evidenceSha256)}</td></tr>`);
    out.push('</tbody></table>');
  }
  if (f.events.length) {
    const listed = [...f.events].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.id - b.id)).slice(0, EVENTS_LISTED);
    out.push(`<p class="small"><strong>${esc(r('events', { count: f.events.length }))}</strong>${f.events.length > listed.length ? esc(r(scoped ? 'eventsFirstScoped' : 'eventsFirst', { listed: listed.length, key: f.key })) : ''}</p>`);
    out.push(`<table class="small"><thead><tr>${['colTime', 'colOperation', 'colActor', 'colIp', 'colResult', 'colRecord'].map((k) => `<th>${esc(r(k))}</th>`).join('')}</tr></thead><tbody>`);
    for (const e of listed) {
      out.push(`<tr><td>${utc(e.at)}</td><td>${esc(e.rawOperation)}</td><td>${esc(e.actorUser ?? e.actorAppId ?? '—')}</td><td class="mono">${esc(e.actorIp ?? '—')}</td><td>${esc(e.result)}</td><td class="mono">${esc(e.recordId)}<br>${esc(e.evidenceSha256)}</td></tr>`);
    }
    out.push('</tbody></table>');
  }
  out.push('</section>');
  return out.join('\n');
}

function remediationSection(d: ReportData, r: Words): string {
  const out = [`<h2 id="remediation">${esc(r('navRemediation'))}</h2>`];
  if (!d.remediation || d.remediation.steps.length === 0) {
    out.push(`<p>${esc(r('noRemediation'))}</p>`);
    return out.join('\n');
  }
  out.push(`<p>${esc(r('checklistLede'))}</p>`);
  out.push(`<table><thead><tr><th>${esc(r('colPhase'))}</th><th>${esc(r('colStep'))}</th><th>${esc(r('colState'))}</th></tr></thead><tbody>`);
  for (const s of d.remediation.steps) out.push(`<tr><td>${esc(s.phase)}</td><td>${esc(s.title)}</td><td>${esc(s.state)}</td></tr>`);
  out.push('</tbody></table>');
  if (d.remediation.actions.length) {
    out.push(`<h3>${esc(r('whatWasDone'))}</h3><table class="small"><thead><tr>${['colTime', 'colBy', 'colStep', 'colOutcome', 'colNote'].map((k) => `<th>${esc(r(k))}</th>`).join('')}<th class="num">${esc(r('colCustody'))}</th></tr></thead><tbody>`);
    for (const a of d.remediation.actions) out.push(`<tr><td>${utc(a.at)}</td><td>${esc(a.actor)}</td><td class="mono">${esc(a.step)}</td><td>${esc(a.outcome)}</td><td>${esc(a.note)}</td><td class="num">${a.custodySeq}</td></tr>`);
    out.push('</tbody></table>');
  }
  return out.join('\n');
}

function pinsSection(d: ReportData, x: OutputText, r: Words): string {
  const out = [`<h2 id="pins">${esc(r('navPins'))}</h2>`];
  if (d.pins.length === 0) {
    out.push(`<p>${esc(r('noPins'))}</p>`);
    return out.join('\n');
  }
  out.push(`<p>${esc(r('pinsLede'))}</p>`);
  for (const p of d.pins) {
    out.push(`<div class="pin"><p><strong>${utc(p.eventAt)}</strong> · ${esc(r('pinRecord', { source: sourceName(x, p.source) }))} <span class="mono">${esc(p.recordId)}</span></p>`);
    out.push(`<p><strong>${esc(p.note)}</strong></p>`);
    if (p.message) out.push(`<p class="small">${esc(p.message)}</p>`);
    out.push(`<p class="small muted">${esc(r('pinnedBy', { actor: p.actor, at: utcText(p.at), seq: p.custodySeq }))}${p.evidenceSha256 ? ` · ${esc(r('evidence'))} <span class="mono">${esc(p.evidenceSha256)}</span>` : ''}</p></div>`);
  }
  return out.join('\n');
}

function custodySection(d: ReportData, r: Words): string {
  const out = [`<h2 id="custody">${esc(r('navCustody'))}</h2>`];
  const first = d.custody[0];
  const last = d.custody.at(-1);
  out.push(`<p>${esc(r('custodyLede', { count: d.custody.length, span: first && last ? r('custodySpan', { first: utcText(first.at), last: utcText(last.at) }) : '' }))}</p>`);
  const byAction = new Map<string, number>();
  for (const e of d.custody) byAction.set(e.action, (byAction.get(e.action) ?? 0) + 1);
  out.push(`<table><thead><tr><th>${esc(r('colAction'))}</th><th class="num">${esc(r('colEntries'))}</th></tr></thead><tbody>`);
  for (const [a, n] of [...byAction].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1))) out.push(`<tr><td class="mono">${esc(a)}</td><td class="num">${n}</td></tr>`);
  out.push('</tbody></table>');
  const milestones = d.custody.filter((e) => /^(case\.|collection\.|export\.|import\.)/.test(e.action));
  if (milestones.length) {
    out.push(`<h3>${esc(r('milestones'))}</h3><table class="small"><thead><tr><th class="num">#</th>${['colTime', 'colAction', 'colBy', 'colHash'].map((k) => `<th>${esc(r(k))}</th>`).join('')}</tr></thead><tbody>`);
    for (const e of milestones) out.push(`<tr><td class="num">${e.seq}</td><td>${utc(e.at)}</td><td class="mono">${esc(e.action)}</td><td>${esc(e.actor)}</td><td class="mono">${esc(e.hash)}</td></tr>`);
    out.push('</tbody></table>');
  }
  return out.join('\n');
}

function verifySection(d: ReportData, r: Words): string {
  const out = [`<h2 id="verify">${esc(r('navVerify'))}</h2>`];
  out.push(`<p>${withMono(r, 'verifyLede', {}, 'fingerprint', d.signer.fingerprint)}</p>`);
  out.push(`<pre>${d.verifyCommands.map(esc).join('\n\n')}</pre>`);
  out.push(`<p>${esc(r('otherFiles'))}</p>`);
  out.push(`<table class="small"><thead><tr><th>${esc(r('colFile'))}</th><th class="num">${esc(r('colBytes'))}</th><th>SHA-256</th></tr></thead><tbody>`);
  for (const f of d.files) out.push(`<tr><td class="mono">${esc(f.name)}</td><td class="num">${f.bytes.toLocaleString('en')}</td><td class="mono">${esc(f.sha256)}</td></tr>`);
  out.push('</tbody></table>');
  return out.join('\n');
}
