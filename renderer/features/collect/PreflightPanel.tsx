// Renderer: what the next collection will read — its options, each source's permission and expected size, and the Collect button.
import { useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useCase } from '../../lib/caseState';
import { formatCount, formatDuration } from '../../lib/format';
import type { ApiError, PreflightRow, PreflightView } from '../../lib/api';
import { ErrorNotice } from '../../components/ErrorNotice';

export const MAX_LOG_DAYS = 180;

/** The days field as a number, or null when it is not a whole number from 0 to 180. */
export function parseLogDays(text: string): number | null {
  if (!/^\s*\d{1,3}\s*$/.test(text)) return null;
  const n = Number(text.trim());
  return n >= 0 && n <= MAX_LOG_DAYS ? n : null;
}

const SERVICES = [
  { id: 'graph', name: 'Microsoft Graph' },
  { id: 'exchange', name: 'Exchange Online' },
] as const;

const STATUS_ICON: Record<PreflightRow['status'], string> = { ok: '✓', missing: '✕', unknown: '?', 'not-signed-in': '○' };

interface Props {
  signedIn: boolean | null;
  exchangeAccount: string | null;
  logDaysText: string;
  onLogDays: (text: string) => void;
  exchangeChecked: boolean;
  onExchange: (on: boolean) => void;
  /** Mailboxes whose inbox rules to read, as typed (addresses separated by commas or spaces). */
  inboxText: string;
  onInbox: (text: string) => void;
  preflight: PreflightView | null;
  preflightError: ApiError | null;
  preflightBusy: boolean;
  onCollect: () => void;
}

export function PreflightPanel(props: Props) {
  const { signedIn, exchangeAccount, logDaysText, onLogDays, exchangeChecked, onExchange, inboxText, onInbox, preflight, preflightError, preflightBusy, onCollect } = props;
  const { t } = useTranslation();
  const { collection } = useCase();
  const running = collection?.state === 'running';
  const daysId = useId();
  const logDays = parseLogDays(logDaysText);
  const rows = preflight?.rows ?? [];
  const counts = { ok: 0, missing: 0, unknown: 0, 'not-signed-in': 0 };
  for (const r of rows) counts[r.status] += 1;
  const expected = rows.every((r) => r.estimatedRecords !== null) && rows.length > 0 ? rows.reduce((n, r) => n + (r.estimatedRecords ?? 0), 0) : null;
  // Open while planning; folded away once a run is on screen, one click to look again.
  const [openChoice, setOpenChoice] = useState<boolean | null>(null);
  const open = openChoice ?? !collection;

  const blocked = running || signedIn === false || logDays === null;
  const why = running ? null : signedIn === false ? t('preflight.signInGraphFirst') : logDays === null ? t('preflight.enterDays', { max: MAX_LOG_DAYS }) : null;

  return (
    <section className="panel" aria-labelledby="plan-heading" data-testid="collect-plan">
      <div className="panel-head">
        <h2 id="plan-heading">{t('preflight.heading')}</h2>
        <span className="muted small" data-testid="plan-account">
          {preflight?.graphAccount ? (
            <>
              {t('preflight.graphAs')}
              <span className="mono">{preflight.graphAccount}</span>
              {preflight.exchangeAccount ? (
                <>
                  {' · '}
                  {t('preflight.exchangeAs')}
                  <span className="mono">{preflight.exchangeAccount}</span>
                </>
              ) : null}
            </>
          ) : (
            t('preflight.notSignedIn')
          )}
        </span>
      </div>

      <div className="collect-options" role="group" aria-label={t('preflight.options')}>
        <div className={`option${logDays === null ? ' has-error' : ''}`}>
          <label htmlFor={daysId} className="option-label">
            {t('preflight.daysBefore')}
            <input
              id={daysId}
              type="number"
              inputMode="numeric"
              min={0}
              max={MAX_LOG_DAYS}
              step={1}
              className="days-input"
              value={logDaysText}
              onChange={(e) => onLogDays(e.target.value)}
              aria-describedby={`${daysId}-hint`}
              aria-invalid={logDays === null}
              data-testid="collect-log-days"
            />
            {t('preflight.daysAfter')}
          </label>
          <p className={logDays === null ? 'field-error' : 'field-hint'} id={`${daysId}-hint`}>
            {logDays === null ? t('preflight.daysInvalid', { max: MAX_LOG_DAYS }) : logDays === 0 ? t('preflight.daysSkipped') : t('preflight.daysHint')}
          </p>
        </div>
        <div className="option">
          <label className="checkbox option-label">
            <input
              type="checkbox"
              checked={exchangeChecked}
              disabled={exchangeAccount === null}
              onChange={(e) => onExchange(e.target.checked)}
              aria-describedby={`${daysId}-exo-hint`}
              data-testid="collect-exchange"
            />
            {t('preflight.includeExchange')}
          </label>
          <p className="field-hint" id={`${daysId}-exo-hint`}>
            {exchangeAccount === null ? t('preflight.exchangeFirst') : t('preflight.exchangeAs2', { account: exchangeAccount })}
          </p>
          <label className="option-label inbox-label" htmlFor={`${daysId}-inbox`}>
            {t('preflight.inboxOf')}
          </label>
          <input
            id={`${daysId}-inbox`}
            type="text"
            className="input inbox-input mono"
            value={inboxText}
            disabled={!exchangeChecked}
            placeholder="admin@contoso.com, ceo@contoso.com"
            onChange={(e) => onInbox(e.target.value)}
            spellCheck={false}
            data-testid="collect-inbox-rules"
          />
          <p className="field-hint">{t('preflight.inboxHint')}</p>
        </div>
      </div>

      <div className="collect-action">
        <button type="button" className="button button-primary" onClick={onCollect} disabled={blocked} aria-describedby={why ? 'collect-why' : undefined} data-testid="collect-start">
          {running ? t('preflight.collecting') : collection ? t('preflight.collectAgain') : t('preflight.collect')}
        </button>
        <p className="collect-action-text small" data-testid="plan-summary">
          {why ? (
            <span className="muted" id="collect-why">
              {why}.
            </span>
          ) : null}{' '}
          {preflight ? (
            <>
              {t('preflight.sources', { count: rows.length })}
              {expected !== null ? t('preflight.expected', { count: expected }) : ''}
              {' · '}
              {preflight.estimatedMinimumSeconds !== null ? (
                <span data-testid="plan-minimum">
                  {preflight.estimatedMinimumSeconds > 0
                    ? t('preflight.throttling', { duration: formatDuration(preflight.estimatedMinimumSeconds * 1000) })
                    : t('preflight.noThrottling')}{' '}
                  <span className="muted">{t('preflight.from', { basis: preflight.basis ?? t('preflight.earlierSizes') })}</span>
                </span>
              ) : (
                <span className="muted" data-testid="plan-minimum">
                  {t('preflight.durationUnknown')}
                </span>
              )}
            </>
          ) : null}
        </p>
      </div>

      {preflightError ? <ErrorNotice error={preflightError} title={t('preflight.checkError')} testId="preflight-error" /> : null}

      <details className="preflight" open={open} // The toggle event also fires when React opens or folds it: only a difference from the default is a choice.
        onToggle={(e) => e.currentTarget.open !== open && setOpenChoice(e.currentTarget.open)} data-testid="preflight">
        <summary className="preflight-summary" data-testid="preflight-summary">
          <span className="preflight-title">{t('preflight.title')}</span>{' '}
          <span className="muted">
            {!preflight ? (
              t('preflight.checking')
            ) : (
              <>
                {t('preflight.sources', { count: rows.length })}
                {counts.ok ? (
                  <>
                    {' · '}
                    <StatusCount status="ok" n={counts.ok} />
                  </>
                ) : null}
                {counts.missing ? (
                  <>
                    {' · '}
                    <StatusCount status="missing" n={counts.missing} />
                  </>
                ) : null}
                {counts.unknown ? (
                  <>
                    {' · '}
                    <StatusCount status="unknown" n={counts.unknown} />
                  </>
                ) : null}
                {counts['not-signed-in'] ? (
                  <>
                    {' · '}
                    <StatusCount status="not-signed-in" n={counts['not-signed-in']} />
                  </>
                ) : null}
                {preflightBusy ? t('preflight.checkingAgain') : ''}
              </>
            )}
          </span>
        </summary>
        {preflight ? (
          <>
            <div className="table-scroll">
              <table className="data-table preflight-table" aria-label={t('preflight.title')} data-testid="preflight-table" aria-busy={preflightBusy}>
                <thead>
                  <tr>
                    <th scope="col">{t('preflight.colSource')}</th>
                    <th scope="col">{t('preflight.colNeeds')}</th>
                    <th scope="col">{t('preflight.colStatus')}</th>
                    <th scope="col">{t('preflight.colNote')}</th>
                    <th scope="col" className="numeric" title={t('preflight.expectedTitle')}>
                      {t('preflight.colExpected')}
                    </th>
                  </tr>
                </thead>
                {SERVICES.filter((svc) => rows.some((r) => r.service === svc.id)).map((svc) => {
                  const group = rows.filter((r) => r.service === svc.id);
                  return (
                    <tbody key={svc.id} className="preflight-group">
                      <tr className="group-row">
                        <th scope="rowgroup" colSpan={5}>
                          {svc.name} <span className="muted">· {t('preflight.sources', { count: group.length })} · {(svc.id === 'graph' ? preflight.graphAccount : preflight.exchangeAccount) ?? t('preflight.groupNotSignedIn')}</span>
                        </th>
                      </tr>
                      {group.map((r) => (
                        <tr key={r.source} data-testid="preflight-row" data-source={r.source} data-status={r.status} data-service={r.service}>
                          <td className="cell-strong nowrap" data-testid="preflight-label">
                            {r.label}
                          </td>
                          <td className="small" data-testid="preflight-needs">{r.needs}</td>
                          <td className="nowrap">
                            <span className={`state pf-${r.status}`} data-testid="preflight-status">
                              <span aria-hidden="true">{STATUS_ICON[r.status]}</span> {t(`preflight.status.${r.status}`)}
                            </span>
                          </td>
                          <td className="small" data-testid="preflight-note">{r.note ?? <span className="muted">—</span>}</td>
                          <td className="numeric" data-testid="preflight-estimate">
                            {r.estimatedRecords === null ? (
                              <span className="muted" title={t('preflight.unknownTitle')}>
                                —
                              </span>
                            ) : (
                              formatCount(r.estimatedRecords)
                            )}
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  );
                })}
              </table>
            </div>
            <div className="preflight-foot small">
              <span data-testid="preflight-roles">
                {preflight.roles === null
                  ? t('preflight.rolesUnknown')
                  : t('preflight.roles', { roles: preflight.roles.length ? preflight.roles.join(', ') : t('common.none') })}
              </span>
              <details data-testid="preflight-scopes">
                <summary>{t('preflight.scopes', { count: preflight.grantedScopes.length })}</summary>
                {preflight.grantedScopes.length ? (
                  <ul className="scope-list mono">
                    {preflight.grantedScopes.map((s) => (
                      <li key={s}>{s}</li>
                    ))}
                  </ul>
                ) : (
                  <p className="muted">{t('preflight.noScopes')}</p>
                )}
              </details>
              <span className="muted">{t('preflight.exchangeRoles')}</span>
            </div>
          </>
        ) : null}
      </details>
    </section>
  );
}

function StatusCount({ status, n }: { status: PreflightRow['status']; n: number }) {
  const { t } = useTranslation();
  return (
    <span className={`pf-${status}`}>
      <span aria-hidden="true">{STATUS_ICON[status]}</span> {t(`preflight.statusCount.${status}`, { count: n })}
    </span>
  );
}
