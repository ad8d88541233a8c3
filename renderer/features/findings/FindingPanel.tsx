// Renderer: one finding in full — why it matched, what the rule means, how to undo it, its triage, IOCs and the evidence rows it rests on.
import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import type { ChecklistOverview, EvidenceRef, Finding, FindingEvent, FindingObject, StorylineStage, Triage } from '../../lib/api';
import { checklistStepHref } from '../../lib/route';
import { stateLook } from '../checklist/checklistText';
import { CopyButton } from '../../components/CopyButton';
import { DataTable, type Column } from '../../components/DataTable';
import { Identifier } from '../../components/Identifier';
import { SeverityBadge } from '../../components/Severity';
import { Time, useZoneLabel } from '../../components/Time';
import { useCase } from '../../lib/caseState';
import { confidenceWord, iocContextText, iocLines, reasonText, subjectName, subjectTypeWord, iocTypeWord, phaseWord, ruleTexts, sourceShort, sourceWord, stageTitle, stageWord } from './findingText';
import { numberedSteps } from './steps';
import { TriageForm } from './TriageForm';
import { TimelineEventsLink, useTimelineCounts } from '../timeline/TimelineLinks';

/** Hundreds of sign-ins can back one finding: the first ones render, the rest on request. */
const EVENT_ROWS_SHOWN = 200;

interface Props {
  finding: Finding;
  stages: StorylineStage[];
  onClose: () => void;
  onTriaged: (key: string, triage: Triage) => void;
  onOpenEvidence: (ref: EvidenceRef, label: string) => void;
  /** The checklist steps that answer this finding. */
  steps: ChecklistOverview['links'];
}

export function FindingPanel({ finding: f, stages, onClose, onTriaged, onOpenEvidence, steps }: Props) {
  const { t } = useTranslation();
  const heading = useRef<HTMLHeadingElement>(null);
  const zone = useZoneLabel();
  const { formatTime } = useCase();

  useEffect(() => {
    heading.current?.focus();
  }, [f.key]);

  const stage = f.stage ? stages.find((s) => s.id === f.stage) : undefined;
  // The finding's events in the Timeline (its events, the objects it names, its own row), then each indicator's.
  const [findingEvents, ...iocEvents] = useTimelineCounts([{ finding: f.key }, ...f.iocs.map((i) => ({ ioc: i.value }))]);
  const reason = reasonText(f);
  const reasonSteps = numberedSteps(reason);

  const objectColumns: Column<FindingObject>[] = [
    { id: 'kind', header: t('findings.panel.colKind'), text: (o) => o.kind, className: 'nowrap' },
    {
      id: 'name',
      header: t('findings.panel.colName'),
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
          aria-label={t('findings.panel.showRaw', { what: `${o.kind} ${o.name ?? o.id}` })}
          data-testid="finding-object-open"
        >
          {o.name ?? <span className="muted">{t('findings.panel.noName')}</span>}
        </button>
      ),
    },
    { id: 'id', header: t('findings.panel.colObjectId'), text: (o) => o.id, className: 'col-id', render: (o) => <Identifier value={o.id} label={t('findings.panel.idOf', { what: `${o.kind} ${o.name ?? ''}`.trim() })} short /> },
    {
      id: 'sha256',
      header: t('findings.panel.colSha'),
      text: (o) => o.evidenceSha256,
      className: 'col-id',
      render: (o) => <Identifier value={o.evidenceSha256} label={t('findings.panel.shaOf', { id: o.evidenceId })} short />,
    },
  ];

  const eventColumns: Column<FindingEvent>[] = [
    {
      id: 'at',
      header: t('findings.panel.colTime', { zone }),
      text: (e) => formatTime(e.at),
      sortValue: (e) => e.at,
      className: 'col-time',
      render: (e) => (
        <button
          type="button"
          className="row-open row-open-time"
          onClick={(ev) => {
            ev.stopPropagation();
            onOpenEvidence({ kind: 'event', eventId: e.id }, t('findings.panel.record', { source: sourceWord(e.source), id: e.recordId }));
          }}
          aria-label={t('findings.panel.showRaw', { what: t('findings.panel.eventAt', { operation: e.rawOperation, time: formatTime(e.at) }) })}
          data-testid="finding-event-open"
        >
          <Time iso={e.at} withZone={false} />
        </button>
      ),
    },
    { id: 'source', header: t('findings.panel.colSource'), text: (e) => sourceWord(e.source), className: 'col-source', render: (e) => <span title={sourceWord(e.source)}>{sourceShort(e.source)}</span> },
    { id: 'operation', header: t('findings.panel.colOperation'), text: (e) => e.rawOperation, className: 'col-operation', render: (e) => <span title={e.targetName ? t('findings.panel.target', { name: e.targetName }) : undefined}>{e.rawOperation}</span> },
    {
      id: 'actor',
      header: t('findings.panel.colActor'),
      text: (e) => e.actorUser ?? e.actorAppId ?? '',
      className: 'col-actor',
      render: (e) => ((e.actorUser ?? e.actorAppId) ? <span title={e.actorUser ?? e.actorAppId ?? undefined}>{e.actorUser ?? e.actorAppId}</span> : <span className="muted">—</span>),
    },
    { id: 'ip', header: t('findings.panel.colIp'), text: (e) => e.actorIp ?? '', className: 'col-ip', render: (e) => (e.actorIp ? <span className="mono small" title={e.actorIp}>{e.actorIp}</span> : <span className="muted">—</span>) },
    { id: 'result', header: t('findings.panel.colResult'), text: (e) => e.result, className: 'col-result', render: (e) => <span className={`event-result event-result-${e.result}`}>{e.result}</span> },
  ];

  return (
    <aside className="side-panel finding-panel" aria-labelledby="finding-panel-title" data-testid="finding-panel" data-key={f.key} data-rule={f.ruleId}>
      <div className="side-panel-head">
        <div className="finding-panel-heading">
          <SeverityBadge level={f.severity} />
          <h2 id="finding-panel-title" ref={heading} tabIndex={-1} data-testid="finding-panel-title">
            {ruleTexts(f).title}
          </h2>
        </div>
        <button type="button" className="icon-button" onClick={onClose} aria-label={t('findings.panel.close')} data-testid="finding-panel-close">
          <span aria-hidden="true">✕</span>
        </button>
      </div>
      <p className="finding-subject">
        <span className="muted small">{subjectTypeWord(f.subject.type)}</span> <strong>{subjectName(f)}</strong>{' '}
        {f.subject.name && f.subject.name !== f.subject.id ? <Identifier value={f.subject.id} label={t('findings.panel.subjectId', { type: subjectTypeWord(f.subject.type) })} short /> : null}
        {f.ours ? <span className="badge badge-quiet" title={t('apps.oursHint')} data-testid="finding-ours">{t('apps.ours')}</span> : null}
      </p>

      <section className="panel-section" aria-labelledby="finding-why">
        <h3 id="finding-why">{t('findings.panel.why')}</h3>
        {reasonSteps ? (
          <ol className="finding-reason finding-steps" data-testid="finding-reason">
            {reasonSteps.map((step, i) => (
              <li key={i} data-testid="finding-step">
                {step}
              </li>
            ))}
          </ol>
        ) : (
          <p className="finding-reason" data-testid="finding-reason">
            {reason}
          </p>
        )}
        <h3>{t('findings.panel.looksFor')}</h3>
        <p className="finding-explanation" data-testid="finding-explanation">
          {ruleTexts(f).explanation}
        </p>
        <dl className="facts facts-tight">
          <dt>ATT&amp;CK</dt>
          <dd data-testid="finding-attack">
            {f.attack.length ? (
              f.attack.map((id) => (
                <span key={id} className="attack-id mono" title={t('findings.panel.technique', { id })}>
                  {id}
                </span>
              ))
            ) : (
              <span className="muted">—</span>
            )}
          </dd>
          <dt>{t('findings.panel.confidence')}</dt>
          <dd data-testid="finding-confidence">{confidenceWord(f.confidence)}</dd>
          <dt>{t('findings.panel.stage')}</dt>
          <dd data-testid="finding-stage">{f.stage ? (stage ? stageTitle(stage) : stageWord(f.stage)) : <span className="muted">{t('findings.panel.spans')}</span>}</dd>
          <dt>{t('findings.panel.seen')}</dt>
          <dd>
            <Time iso={f.firstAt} /> <span className="muted">{t('findings.panel.to')}</span> <Time iso={f.lastAt} />
          </dd>
          <dt>{t('findings.panel.rule')}</dt>
          <dd className="mono small">{f.ruleId}</dd>
        </dl>
      </section>

      <section className="panel-section" aria-labelledby="finding-undo">
        <h3 id="finding-undo">{t('findings.panel.undo')}</h3>
        <p className="undo-step" data-testid="finding-remediation">
          <span className={`phase phase-${f.remediation.phase}`} data-testid="finding-phase">
            {phaseWord(f.remediation.phase)}
          </span>
          <span>{ruleTexts(f).step}</span>
        </p>
        {steps.length ? (
          <ul className="plain-list finding-steps" data-testid="finding-steps">
            {steps.map((s) => {
              const look = stateLook(s.state);
              return (
                <li key={s.stepId}>
                  <a href={checklistStepHref(s.stepId)} data-testid="finding-step-link" data-step-id={s.stepId}>
                    {s.title}
                  </a>{' '}
                  <span className={`state small ${look.cls}`}>
                    <span aria-hidden="true">{look.icon}</span> {look.word}
                  </span>
                </li>
              );
            })}
          </ul>
        ) : (
          <p className="muted small" data-testid="finding-no-step">{t('findings.panel.noStep')}</p>
        )}
      </section>

      <section className="panel-section" aria-labelledby="finding-triage">
        <h3 id="finding-triage">{t('findings.panel.triage')}</h3>
        <TriageForm finding={f} onSaved={onTriaged} />
      </section>

      <section className="panel-section" aria-labelledby="finding-iocs">
        <div className="section-head">
          <h3 id="finding-iocs">{t('findings.panel.indicators', { count: f.iocs.length })}</h3>
          {f.iocs.length ? <CopyButton value={iocLines(f)} label={t('findings.panel.iocsLabel')} text={t('findings.panel.copyAll')} testId="finding-iocs-copy" /> : null}
        </div>
        {f.iocs.length ? (
          <ul className="ioc-list" data-testid="finding-iocs">
            {f.iocs.map((i, n) => (
              <li key={`${i.type}|${i.value}`} className="ioc" data-testid="finding-ioc" data-type={i.type}>
                <span className="ioc-type small muted">{iocTypeWord(i.type)}</span>
                <span className="ioc-value mono">{i.value}</span>
                <CopyButton value={i.value} label={`${iocTypeWord(i.type)} ${i.value}`} compact />
                <span className="ioc-context small">{iocContextText(i)}</span>
                <TimelineEventsLink filter={{ ioc: i.value }} count={iocEvents[n] ?? null} testId="finding-ioc-events" label={t('timeline.link.iocEventsLabel', { value: i.value })} />
              </li>
            ))}
          </ul>
        ) : (
          <p className="muted small">{t('findings.panel.noIocs')}</p>
        )}
      </section>

      {f.covers.length ? (
        <section className="panel-section" aria-labelledby="finding-covers">
          <h3 id="finding-covers">{t('findings.panel.covers')}</h3>
          <ul className="covers-list small" data-testid="finding-covers">
            {f.covers.map((c) => (
              <li key={c}>{c}</li>
            ))}
          </ul>
        </section>
      ) : null}

      <section className="panel-section" aria-labelledby="finding-evidence">
        <h3 id="finding-evidence">{t('findings.panel.evidence')}</h3>
        <p className="muted small">{t('findings.panel.evidenceHint')}</p>
        <div className="evidence-tables">
        <h4 className="subhead">{t('findings.panel.objectsHead', { count: f.objects.length })}</h4>
        <DataTable
          key={`objects-${f.key}`}
          label={t('findings.panel.objects')}
          columns={objectColumns}
          rows={f.objects}
          rowKey={(o) => `${o.runId}|${o.kind}|${o.id}`}
          defaultSort={{ column: 'kind', dir: 'asc' }}
          testId="finding-objects"
          rowTestId="finding-object"
          onRowActivate={(o) => onOpenEvidence({ kind: 'object', runId: o.runId, objectKind: o.kind, objectId: o.id }, `${o.kind} ${o.name ?? o.id}`)}
          rowData={(o) => ({ 'data-kind': o.kind, 'data-object-id': o.id })}
          summary={t('findings.panel.objectCount', { count: f.objects.length })}
          empty={t('findings.panel.noObjects')}
        />
        <div className="subhead-row">
          <h4 className="subhead">{t('findings.panel.eventsHead', { count: f.events.length })}</h4>
          <TimelineEventsLink filter={{ finding: f.key }} count={findingEvents ?? null} testId="finding-timeline-link" />
        </div>
        <DataTable
          key={f.key}
          label={t('findings.panel.events')}
          columns={eventColumns}
          rows={f.events}
          rowKey={(e) => String(e.id)}
          defaultSort={{ column: 'at', dir: 'asc' }}
          testId="finding-events"
          className="events-table"
          rowTestId="finding-event"
          onRowActivate={(e) => onOpenEvidence({ kind: 'event', eventId: e.id }, t('findings.panel.record', { source: sourceWord(e.source), id: e.recordId }))}
          rowData={(e) => ({ 'data-event-id': String(e.id), 'data-source': e.source })}
          summary={t('findings.panel.eventCount', { count: f.events.length })}
          limit={EVENT_ROWS_SHOWN}
          empty={t('findings.panel.noEvents')}
        />
        </div>
      </section>
    </aside>
  );
}
