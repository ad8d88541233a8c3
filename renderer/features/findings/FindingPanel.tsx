// Renderer: one finding in full — why it matched, what the rule means, how to undo it, its triage, IOCs and the evidence rows it rests on.
import { useEffect, useRef } from 'react';
import type { EvidenceRef, Finding, FindingEvent, FindingObject, StorylineStage, Triage } from '../../lib/api';
import { formatCount, plural } from '../../lib/format';
import { CopyButton } from '../../components/CopyButton';
import { DataTable, type Column } from '../../components/DataTable';
import { Identifier } from '../../components/Identifier';
import { SeverityBadge } from '../../components/Severity';
import { Time, useZoneLabel } from '../../components/Time';
import { useCase } from '../../lib/caseState';
import { CONFIDENCE_WORDS, IOC_TYPE_WORDS, PHASE_WORDS, STAGE_WORDS, iocLines, sourceShort, sourceWord } from './findingText';
import { TriageForm } from './TriageForm';

/** Hundreds of sign-ins can back one finding: the first ones render, the rest on request. */
const EVENT_ROWS_SHOWN = 200;

interface Props {
  finding: Finding;
  stages: StorylineStage[];
  onClose: () => void;
  onTriaged: (key: string, triage: Triage) => void;
  onOpenEvidence: (ref: EvidenceRef, label: string) => void;
}

export function FindingPanel({ finding: f, stages, onClose, onTriaged, onOpenEvidence }: Props) {
  const heading = useRef<HTMLHeadingElement>(null);
  const zone = useZoneLabel();
  const { formatTime } = useCase();

  useEffect(() => {
    heading.current?.focus();
  }, [f.key]);

  const stage = f.stage ? stages.find((s) => s.id === f.stage) : undefined;

  const objectColumns: Column<FindingObject>[] = [
    { id: 'kind', header: 'Kind', text: (o) => o.kind, className: 'nowrap' },
    {
      id: 'name',
      header: 'Name',
      text: (o) => o.name ?? '',
      className: 'col-name',
      render: (o) => (
        <button
          type="button"
          className="row-open"
          onClick={(e) => {
            e.stopPropagation();
            onOpenEvidence({ kind: 'object', runId: o.runId, objectKind: o.kind, objectId: o.id }, `${o.kind} ${o.name ?? o.id}`);
          }}
          aria-label={`${o.kind} ${o.name ?? o.id}: show raw record`}
          data-testid="finding-object-open"
        >
          {o.name ?? <span className="muted">(no name)</span>}
        </button>
      ),
    },
    { id: 'id', header: 'Object ID', text: (o) => o.id, className: 'col-id', render: (o) => <Identifier value={o.id} label={`id of ${o.kind} ${o.name ?? ''}`.trim()} short /> },
    {
      id: 'sha256',
      header: 'Evidence sha256',
      text: (o) => o.evidenceSha256,
      className: 'col-id',
      render: (o) => <Identifier value={o.evidenceSha256} label={`sha256 of evidence row ${o.evidenceId}`} short />,
    },
  ];

  const eventColumns: Column<FindingEvent>[] = [
    {
      id: 'at',
      header: `Time (${zone})`,
      text: (e) => formatTime(e.at),
      sortValue: (e) => e.at,
      className: 'col-time',
      render: (e) => (
        <button
          type="button"
          className="row-open row-open-time"
          onClick={(ev) => {
            ev.stopPropagation();
            onOpenEvidence({ kind: 'event', eventId: e.id }, `${sourceWord(e.source)} record ${e.recordId}`);
          }}
          aria-label={`${e.operation} at ${formatTime(e.at)}: show raw record`}
          data-testid="finding-event-open"
        >
          <Time iso={e.at} withZone={false} />
        </button>
      ),
    },
    { id: 'source', header: 'Source', text: (e) => sourceWord(e.source), render: (e) => <span title={sourceWord(e.source)}>{sourceShort(e.source)}</span> },
    { id: 'operation', header: 'Operation', text: (e) => e.operation, className: 'col-operation', render: (e) => <span title={e.targetName ? `Target: ${e.targetName}` : undefined}>{e.operation}</span> },
    {
      id: 'actor',
      header: 'Actor',
      text: (e) => e.actorUser ?? e.actorAppId ?? '',
      className: 'col-actor',
      render: (e) => ((e.actorUser ?? e.actorAppId) ? <span title={e.actorUser ?? e.actorAppId ?? undefined}>{e.actorUser ?? e.actorAppId}</span> : <span className="muted">—</span>),
    },
    { id: 'ip', header: 'IP', text: (e) => e.actorIp ?? '', className: 'nowrap', render: (e) => (e.actorIp ? <span className="mono small">{e.actorIp}</span> : <span className="muted">—</span>) },
    { id: 'result', header: 'Result', text: (e) => e.result, className: 'nowrap', render: (e) => <span className={`event-result event-result-${e.result}`}>{e.result}</span> },
  ];

  return (
    <aside className="side-panel finding-panel" aria-labelledby="finding-panel-title" data-testid="finding-panel" data-key={f.key} data-rule={f.ruleId}>
      <div className="side-panel-head">
        <div className="finding-panel-heading">
          <SeverityBadge level={f.severity} />
          <h2 id="finding-panel-title" ref={heading} tabIndex={-1} data-testid="finding-panel-title">
            {f.title}
          </h2>
        </div>
        <button type="button" className="icon-button" onClick={onClose} aria-label="Close finding" data-testid="finding-panel-close">
          <span aria-hidden="true">✕</span>
        </button>
      </div>
      <p className="finding-subject">
        <span className="muted small">{f.subject.type}</span> <strong>{f.subject.name ?? f.subject.id}</strong>{' '}
        {f.subject.name && f.subject.name !== f.subject.id ? <Identifier value={f.subject.id} label={`${f.subject.type} id`} short /> : null}
      </p>

      <section className="panel-section" aria-labelledby="finding-why">
        <h3 id="finding-why">Why it matched</h3>
        <p className="finding-reason" data-testid="finding-reason">
          {f.reason}
        </p>
        <h3>What the rule looks for</h3>
        <p className="finding-explanation" data-testid="finding-explanation">
          {f.explanation}
        </p>
        <dl className="facts facts-tight">
          <dt>ATT&amp;CK</dt>
          <dd data-testid="finding-attack">
            {f.attack.length ? (
              f.attack.map((t) => (
                <span key={t} className="attack-id mono" title={`MITRE ATT&CK technique ${t}`}>
                  {t}
                </span>
              ))
            ) : (
              <span className="muted">—</span>
            )}
          </dd>
          <dt>Confidence</dt>
          <dd data-testid="finding-confidence">{CONFIDENCE_WORDS[f.confidence]}</dd>
          <dt>Storyline stage</dt>
          <dd data-testid="finding-stage">{f.stage ? (stage?.title ?? STAGE_WORDS[f.stage]) : <span className="muted">Spans the storyline</span>}</dd>
          <dt>Seen</dt>
          <dd>
            <Time iso={f.firstAt} /> <span className="muted">to</span> <Time iso={f.lastAt} />
          </dd>
          <dt>Rule</dt>
          <dd className="mono small">{f.ruleId}</dd>
        </dl>
      </section>

      <section className="panel-section" aria-labelledby="finding-undo">
        <h3 id="finding-undo">Undo it</h3>
        <p className="undo-step" data-testid="finding-remediation">
          <span className={`phase phase-${f.remediation.phase}`} data-testid="finding-phase">
            {PHASE_WORDS[f.remediation.phase]}
          </span>
          <span>{f.remediation.step}</span>
        </p>
      </section>

      <section className="panel-section" aria-labelledby="finding-triage">
        <h3 id="finding-triage">Triage</h3>
        <TriageForm finding={f} onSaved={onTriaged} />
      </section>

      <section className="panel-section" aria-labelledby="finding-iocs">
        <div className="section-head">
          <h3 id="finding-iocs">Indicators ({formatCount(f.iocs.length)})</h3>
          {f.iocs.length ? <CopyButton value={iocLines(f)} label="this finding's indicators as text" text="Copy all" testId="finding-iocs-copy" /> : null}
        </div>
        {f.iocs.length ? (
          <ul className="ioc-list" data-testid="finding-iocs">
            {f.iocs.map((i) => (
              <li key={`${i.type}|${i.value}`} className="ioc" data-testid="finding-ioc" data-type={i.type}>
                <span className="ioc-type small muted">{IOC_TYPE_WORDS[i.type]}</span>
                <span className="ioc-value mono">{i.value}</span>
                <CopyButton value={i.value} label={`${IOC_TYPE_WORDS[i.type]} ${i.value}`} compact />
                <span className="ioc-context small">{i.context}</span>
              </li>
            ))}
          </ul>
        ) : (
          <p className="muted small">This finding names no indicator to block or hunt for.</p>
        )}
      </section>

      {f.covers.length ? (
        <section className="panel-section" aria-labelledby="finding-covers">
          <h3 id="finding-covers">Covers these third-party rules</h3>
          <ul className="covers-list small" data-testid="finding-covers">
            {f.covers.map((c) => (
              <li key={c}>{c}</li>
            ))}
          </ul>
        </section>
      ) : null}

      <section className="panel-section" aria-labelledby="finding-evidence">
        <h3 id="finding-evidence">Evidence</h3>
        <p className="muted small">Select a row for the record as collected, with its evidence hash.</p>
        <div className="evidence-tables">
        <h4 className="subhead">Objects · {formatCount(f.objects.length)}</h4>
        <DataTable
          key={`objects-${f.key}`}
          label="Objects"
          columns={objectColumns}
          rows={f.objects}
          rowKey={(o) => `${o.runId}|${o.kind}|${o.id}`}
          defaultSort={{ column: 'kind', dir: 'asc' }}
          testId="finding-objects"
          rowTestId="finding-object"
          onRowActivate={(o) => onOpenEvidence({ kind: 'object', runId: o.runId, objectKind: o.kind, objectId: o.id }, `${o.kind} ${o.name ?? o.id}`)}
          rowData={(o) => ({ 'data-kind': o.kind, 'data-object-id': o.id })}
          summary={plural(f.objects.length, 'object')}
          empty="No collected object backs this finding."
        />
        <h4 className="subhead">Events · {formatCount(f.events.length)}</h4>
        <DataTable
          key={f.key}
          label="Events"
          columns={eventColumns}
          rows={f.events}
          rowKey={(e) => String(e.id)}
          defaultSort={{ column: 'at', dir: 'asc' }}
          testId="finding-events"
          rowTestId="finding-event"
          onRowActivate={(e) => onOpenEvidence({ kind: 'event', eventId: e.id }, `${sourceWord(e.source)} record ${e.recordId}`)}
          rowData={(e) => ({ 'data-event-id': String(e.id), 'data-source': e.source })}
          summary={plural(f.events.length, 'event')}
          limit={EVENT_ROWS_SHOWN}
          empty="No log event backs this finding: it rests on the objects above."
        />
        </div>
      </section>
    </aside>
  );
}
