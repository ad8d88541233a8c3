// Renderer: one checklist step — what and why, the findings it answers, its objects as collected, the exact requests
// and PowerShell, what it needs, its risk and undo; dry run, execute (the object's name typed when destructive),
// mark done outside Peregrine or skip with a reason; each item's result and the step's trail.
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, toApiError, type ApiError, type ChecklistItemView, type ChecklistStepView, type RemediationRunView } from '../../lib/api';
import { CopyButton } from '../../components/CopyButton';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Identifier } from '../../components/Identifier';
import { SeverityBadge } from '../../components/Severity';
import { Time } from '../../components/Time';
import { findingHref } from '../../lib/route';
import { useRuleText } from '../../i18n/rules';
import { outcomeLook, riskWord, stateLook, stepNote, stepTitle, stepUndo } from './checklistText';

type Form = null | 'execute' | 'done' | 'skip';

interface Props {
  step: ChecklistStepView;
  /** The run of this step in progress or just finished, if any. */
  run: RemediationRunView | null;
  /** Another step is running: this one waits. */
  locked: boolean;
  signedIn: boolean;
  onRun: (input: { stepId: string; mode: 'dry-run' | 'write'; confirmName?: string; confirmSeparately?: boolean }) => Promise<void>;
  onChanged: () => void;
}

export function StepCard({ step, run, locked, signedIn, onRun, onChanged }: Props) {
  const { t } = useTranslation();
  const { rule } = useRuleText();
  const [form, setForm] = useState<Form>(null);
  const [typed, setTyped] = useState('');
  const [checked, setChecked] = useState(false);
  const [note, setNote] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const look = stateLook(step.state);
  const running = run?.state === 'running';
  const settled = step.state === 'verified';
  const script = step.items.flatMap((i) => i.powershell).join('\n');
  const canRun = !step.manualOnly && !settled;
  const title = stepTitle(step);
  const note0 = stepNote(step);
  /** Execute asks first: the object's name for a destructive step, a tick of its own for one only a lead calls for. */
  const asks = step.destructive || step.confirmSeparately;

  const submit = async (e: FormEvent, what: () => Promise<unknown>) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await what();
      setForm(null);
      setTyped('');
      setNote('');
      onChanged();
    } catch (err) {
      setError(toApiError(err));
    } finally {
      setBusy(false);
    }
  };

  const start = async (mode: 'dry-run' | 'write', confirmName?: string) => {
    setError(null);
    try {
      await onRun({ stepId: step.id, mode, ...(confirmName !== undefined ? { confirmName } : {}), ...(mode === 'write' && step.confirmSeparately ? { confirmSeparately: checked } : {}) });
      setForm(null);
      setTyped('');
      setChecked(false);
    } catch (err) {
      setError(toApiError(err));
    }
  };

  const open = (next: Form) => {
    setForm(form === next ? null : next);
    setError(null);
    setNote('');
    setTyped('');
    setChecked(false);
  };

  return (
    <article className={`step-card step-${step.state}`} id={`step-${step.id}`} tabIndex={-1} aria-labelledby={`step-title-${step.order}`} data-testid="step-card" data-step-id={step.id} data-action={step.action} data-state={step.state}>
      <header className="step-head">
        <span className="step-order mono" aria-hidden="true">{step.order}</span>
        <h3 id={`step-title-${step.order}`} className="step-title" data-testid="step-title">{title}</h3>
        <span className={`state ${look.cls}`} data-testid="step-state">
          <span aria-hidden="true">{look.icon}</span> {look.word}
        </span>
      </header>
      {note0 ? <p className="step-why" data-testid="step-note-text">{note0}</p> : <p className="step-why">{step.why}</p>}
      {note0 ? (
        <details className="step-evidence-why">
          <summary className="small">{t('checklist.findingsShowed')}</summary>
          <p className="small">{step.why}</p>
        </details>
      ) : null}
      {step.confirmSeparately ? (
        <p className="notice notice-warn small step-separate" data-testid="step-separate">
          <strong>{t('checklist.separate.badge')}</strong> {t('checklist.separate.hint')}
        </p>
      ) : null}
      <div className="step-tags">
        <span className={`badge risk-${step.risk}`}>{t('checklist.riskLabel', { risk: riskWord(step.risk) })}</span>
        {step.destructive ? <span className="badge badge-destructive">{t('checklist.destructive')}</span> : null}
        {step.usesExchange ? <span className="badge badge-quiet">Exchange Online</span> : null}
      </div>
      {step.findings.length ? (
        <ul className="step-findings" aria-label={t('checklist.findingsLabel')}>
          {step.findings.map((f) => (
            <li key={f.key}>
              <SeverityBadge level={f.severity} />
              <a href={findingHref(f.key)} data-testid="step-finding-link" data-finding-key={f.key}>
                {rule({ ruleId: f.ruleId, title: f.title, explanation: '', remediation: { phase: step.phase, step: '' } }).title}
              </a>
            </li>
          ))}
        </ul>
      ) : null}
      <dl className="facts facts-tight step-facts">
        {step.needs.graphScopes.length || step.needs.exchangeRoles.length || step.needs.directoryRoles.length ? (
          <>
            <dt>{t('checklist.needs')}</dt>
            <dd className="step-needs">
              {[...step.needs.graphScopes, ...step.needs.exchangeRoles].map((n) => (
                <span key={n} className="mono small perm">{n}</span>
              ))}
              {step.needs.directoryRoles.length ? <span className="small">{t('checklist.roleOr', { roles: step.needs.directoryRoles.join(t('checklist.or')) })}</span> : null}
            </dd>
          </>
        ) : null}
        {step.preflight && (step.preflight.missingScopes.length || step.preflight.missingRoles.length || step.preflight.missingExchangeRoles.length) ? (
          <>
            <dt>{t('checklist.preflight')}</dt>
            <dd className="state state-failed" data-testid="step-preflight">
              <span aria-hidden="true">! </span>
              {t('checklist.lacks', { what: [...step.preflight.missingScopes, ...step.preflight.missingRoles, ...step.preflight.missingExchangeRoles].join(', ') })}
            </dd>
          </>
        ) : null}
        <dt>{t('checklist.undo')}</dt>
        <dd>{step.items[0]?.undo ? (stepUndo(step) ?? step.items[0].undo.text) : <span className="muted">{t('checklist.noUndo')}</span>}</dd>
        {step.after.length ? (
          <>
            <dt>{t('checklist.after')}</dt>
            <dd className="mono small">{step.after.join(', ')}</dd>
          </>
        ) : null}
        <dt>{t('checklist.evidence')}</dt>
        <dd>{step.source.evidenceSha256 ? <Identifier value={step.source.evidenceSha256} label={t('checklist.evidenceLabel')} short /> : <span className="muted">—</span>}</dd>
      </dl>

      {step.items.length ? (
        <details className="step-items" open={step.items.length <= 2}>
          <summary data-testid="step-items-toggle">{t('checklist.items', { count: step.items.length })}</summary>
          <ul className="item-list">
            {step.items.map((item) => (
              <Item key={item.key} item={item} />
            ))}
          </ul>
        </details>
      ) : null}
      {script ? (
        <div className="section-head step-script-head">
          <span className="small muted">{t('checklist.powershellAll')}</span>
          <CopyButton value={script} label={t('checklist.powershellLabel', { title })} text={t('checklist.copyPowershell')} testId="step-copy-powershell" />
        </div>
      ) : null}

      <div className="form-actions step-actions">
        {canRun ? (
          <>
            <button type="button" className="button" onClick={() => void start('dry-run')} disabled={!signedIn || locked || running} data-testid="step-dry-run">
              {t('checklist.dryRun')}
            </button>
            <button type="button" className="button button-primary" onClick={() => (asks ? open('execute') : void start('write'))} disabled={!signedIn || locked || running} aria-expanded={asks ? form === 'execute' : undefined} data-testid="step-execute">
              {t('checklist.execute')}
            </button>
          </>
        ) : null}
        {!settled ? (
          <>
            <button type="button" className="button button-quiet" onClick={() => open('done')} aria-expanded={form === 'done'} disabled={running} data-testid="step-mark-done">
              {t('checklist.markDone')}
            </button>
            {step.state !== 'skipped' ? (
              <button type="button" className="button button-quiet" onClick={() => open('skip')} aria-expanded={form === 'skip'} disabled={running} data-testid="step-skip">
                {t('checklist.skip')}
              </button>
            ) : null}
          </>
        ) : null}
        {canRun && !signedIn ? <span className="muted small">{t('checklist.signInFirst')}</span> : null}
        {running ? (
          <span className="state state-running small" role="status" data-testid="step-running">
            <span aria-hidden="true">◐ </span>
            {t(run.mode === 'write' ? 'checklist.writing' : 'checklist.dryRunning')}
          </span>
        ) : null}
      </div>

      {form === 'execute' ? (
        <form className="form step-form" onSubmit={(e) => void submit(e, () => start('write', step.destructive ? typed : undefined))} data-testid="step-confirm">
          {step.confirmSeparately ? (
            <div className="field">
              <label className="checkbox step-separate-check">
                <input type="checkbox" checked={checked} onChange={(e) => setChecked(e.target.checked)} autoFocus={!step.destructive} data-testid="step-confirm-separately" />
                {t('checklist.separate.confirm')}
              </label>
            </div>
          ) : null}
          {step.destructive ? (
            <div className="field">
              <label htmlFor={`confirm-${step.order}`}>{t('checklist.typeName', { name: step.confirmName })}</label>
              <input id={`confirm-${step.order}`} value={typed} onChange={(e) => setTyped(e.target.value)} autoComplete="off" spellCheck={false} autoFocus aria-describedby={`confirm-hint-${step.order}`} data-testid="step-confirm-name" />
              <p className="field-hint" id={`confirm-hint-${step.order}`}>{t('checklist.typeHint')}</p>
            </div>
          ) : null}
          <div className="form-actions">
            <button type="submit" className="button button-danger" disabled={busy || (step.destructive && typed.trim() !== step.confirmName) || (step.confirmSeparately && !checked)} data-testid="step-confirm-run">
              {t('checklist.executeNow')}
            </button>
            <button type="button" className="button" onClick={() => setForm(null)}>
              {t('common.cancel')}
            </button>
          </div>
        </form>
      ) : null}
      {form === 'done' || form === 'skip' ? (
        <form className="form step-form" onSubmit={(e) => void submit(e, () => (form === 'done' ? api.remediate.markDone(step.id, note) : api.remediate.skip(step.id, note)))} data-testid={form === 'done' ? 'step-done-form' : 'step-skip-form'}>
          <div className="field">
            <label htmlFor={`note-${step.order}`}>{form === 'done' ? t('checklist.doneNote') : t('checklist.skipReason')}</label>
            <textarea id={`note-${step.order}`} rows={2} value={note} onChange={(e) => setNote(e.target.value)} autoFocus data-testid="step-note" />
            <p className="field-hint">{form === 'done' ? t('checklist.doneHint') : t('checklist.skipHint')}</p>
          </div>
          <div className="form-actions">
            <button type="submit" className="button button-primary" disabled={busy || note.trim() === ''} data-testid="step-note-save">
              {form === 'done' ? t('checklist.recordDone') : t('checklist.recordSkip')}
            </button>
            <button type="button" className="button" onClick={() => setForm(null)}>
              {t('common.cancel')}
            </button>
          </div>
        </form>
      ) : null}
      {error ? <ErrorNotice error={error} title={t('checklist.notDone')} testId="step-error" /> : null}
      {run && run.state !== 'running' ? <RunResult run={run} /> : null}
      {step.trail.length ? (
        <details className="step-trail">
          <summary data-testid="step-trail-toggle">{t('checklist.trail', { count: step.trail.length })}</summary>
          <ol className="trail-list" data-testid="step-trail">
            {step.trail.map((a) => {
              const o = outcomeLook(a.outcome);
              return (
                <li key={a.custodySeq} data-outcome={a.outcome}>
                  <Time iso={a.at} /> <span className={`state ${o.cls}`}>{o.word}</span> <span className="small">{a.actor}{a.account ? ` · ${a.account}` : ''}</span>
                  {step.items.length > 1 ? <span className="mono small"> · {a.itemKey}</span> : null}
                  <span className="muted small"> · {t('checklist.custodyEntry', { seq: a.custodySeq })}</span>
                  {a.note ? <p className="small trail-note">{a.note}</p> : null}
                </li>
              );
            })}
          </ol>
        </details>
      ) : null}
    </article>
  );
}

function Item({ item }: { item: ChecklistItemView }) {
  const { t } = useTranslation();
  const o = outcomeLook(item.outcome);
  const name = item.target.name ?? item.target.id;
  return (
    <li className="item" data-testid="step-item" data-item-key={item.key} data-outcome={item.outcome ?? 'none'}>
      <div className="item-head">
        <span className="small muted">{item.target.kind}</span> <strong className="item-name">{name}</strong>
        <span className={`state small ${o.cls}`} data-testid="item-outcome">
          <span aria-hidden="true">{o.icon}</span> {o.word}
        </span>
      </div>
      {item.note ? <p className="small item-note" data-testid="item-note">{item.note}</p> : null}
      <details className="item-detail">
        <summary>{t('checklist.itemDetail')}</summary>
        <h4 className="subhead">{t('checklist.snapshot')}</h4>
        <pre className="code-block mono small" data-testid="item-snapshot">{item.snapshot}</pre>
        <h4 className="subhead">{t('checklist.requests')}</h4>
        <pre className="code-block mono small" data-testid="item-requests">
          {[`${item.read.line}   # ${t('checklist.readFirst')}`, ...item.writes.map((w) => (w.body ? `${w.line}\n${w.body}` : w.line))].join('\n')}
        </pre>
        {item.powershell.length ? (
          <>
            <div className="section-head">
              <h4 className="subhead">{t('checklist.powershell')}</h4>
              <CopyButton value={item.powershell.join('\n')} label={t('checklist.powershellLabel', { title: name })} compact />
            </div>
            <pre className="code-block mono small" data-testid="item-powershell">{item.powershell.join('\n')}</pre>
          </>
        ) : null}
        {item.undo?.powershell.length ? (
          <>
            <h4 className="subhead">{t('checklist.undoPowershell')}</h4>
            <pre className="code-block mono small">{item.undo.powershell.join('\n')}</pre>
          </>
        ) : null}
        {item.beforeSha256 || item.afterSha256 ? (
          <dl className="facts facts-tight">
            {item.beforeSha256 ? (
              <>
                <dt>{t('checklist.before')}</dt>
                <dd><Identifier value={item.beforeSha256} label={t('checklist.beforeLabel')} short /></dd>
              </>
            ) : null}
            {item.afterSha256 ? (
              <>
                <dt>{t('checklist.afterRead')}</dt>
                <dd><Identifier value={item.afterSha256} label={t('checklist.afterLabel')} short /></dd>
              </>
            ) : null}
          </dl>
        ) : null}
      </details>
    </li>
  );
}

function RunResult({ run }: { run: RemediationRunView }) {
  const { t } = useTranslation();
  return (
    <div className={`notice ${run.state === 'finished' && run.items.every((i) => i.outcome !== 'failed' && i.outcome !== 'changed') ? 'notice-ok' : 'notice-warn'}`} role="status" data-testid="step-run-result" data-mode={run.mode} data-run-state={run.state}>
      <p className="notice-title">{t(run.mode === 'write' ? 'checklist.runWrite' : 'checklist.runDry', { count: run.items.length })}</p>
      {run.message ? <p data-testid="step-run-message">{run.message}</p> : null}
      {run.items.length ? (
        <table className="run-items">
          <caption className="visually-hidden">{t('checklist.perItem')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('checklist.colObject')}</th>
              <th scope="col">{t('checklist.colOutcome')}</th>
              <th scope="col">{t('checklist.colNote')}</th>
            </tr>
          </thead>
          <tbody>
            {run.items.map((i) => {
              const o = outcomeLook(i.outcome);
              return (
                <tr key={i.itemKey} data-testid="run-item" data-outcome={i.outcome}>
                  <td>{i.target.name ?? i.target.id}</td>
                  <td className={`state ${o.cls}`}>
                    <span aria-hidden="true">{o.icon}</span> {o.word}
                    {i.unchanged ? <span className="muted small"> ({t('checklist.earlier')})</span> : null}
                  </td>
                  <td className="small">{i.note}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}
