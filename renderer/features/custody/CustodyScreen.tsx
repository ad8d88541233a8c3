// Renderer: the Custody screen — the case's append-only, hash-chained log, with the chain's verification status.
import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, toApiError, type ApiError, type CustodyEntryView } from '../../lib/api';
import { useCase } from '../../lib/caseState';
import { DataTable, type Column } from '../../components/DataTable';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Identifier } from '../../components/Identifier';
import { Time } from '../../components/Time';
import { custodySentence, linkState, type LinkState } from './custodyText';
import './custody.css';

const LINK_ICON: Record<LinkState, string> = { start: '◆', linked: '✓', broken: '✕', unverified: '?', unchecked: '○' };

export function CustodyScreen() {
  const { t } = useTranslation();
  const { integrity, integrityError, refreshIntegrity, verifying, formatTime } = useCase();
  const [entries, setEntries] = useState<CustodyEntryView[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  const load = useCallback(async () => {
    setError(null);
    try {
      setEntries(await api.case.custody());
    } catch (err) {
      setError(toApiError(err));
    }
  }, []);

  // The log grows with every action; reload when a verification reports a different length.
  const knownEntries = integrity?.custodyEntries;
  useEffect(() => {
    void load();
  }, [load, knownEntries]);

  const verifyNow = async () => {
    await refreshIntegrity();
    await load();
  };

  const columns: Column<CustodyEntryView>[] = [
    { id: 'seq', header: t('custody.colSeq'), text: (e) => String(e.seq), sortValue: (e) => e.seq, numeric: true, render: (e) => <span className="mono">{e.seq}</span> },
    { id: 'at', header: t('custody.colTime'), text: (e) => formatTime(e.at), sortValue: (e) => e.at, className: 'col-time-wrap', render: (e) => <Time iso={e.at} /> },
    { id: 'action', header: t('custody.colAction'), text: (e) => e.action, render: (e) => <span className="cell-strong" data-testid="custody-action">{e.action}</span> },
    { id: 'actor', header: t('custody.colActor'), text: (e) => e.actor, className: 'nowrap' },
    {
      id: 'summary',
      header: t('custody.colSummary'),
      text: (e) => custodySentence(e.action, e.summary),
      className: 'col-summary',
      render: (e) => (
        <span data-testid="custody-summary" title={e.summary}>
          {custodySentence(e.action, e.summary)}
        </span>
      ),
    },
    {
      id: 'hash',
      header: t('custody.colHashLink'),
      text: (e) => `${e.hash} · ${t(`custody.link.${linkState(e.seq, integrity)}`, { prev: e.seq - 1 })}`,
      className: 'col-hash-link',
      // The entry's hash, and under it how the entry links to the one before, as the last verification saw it.
      render: (e) => {
        const state = linkState(e.seq, integrity);
        return (
          <>
            <Identifier value={e.hash} label={t('custody.entryHash', { seq: e.seq })} short testId="custody-hash" />
            <span className={`link-state link-${state}`} data-testid="custody-link" data-link={state}>
              <span aria-hidden="true">{LINK_ICON[state]} </span>
              {t(`custody.link.${state}`, { prev: e.seq - 1 })}
            </span>
          </>
        );
      },
    },
  ];

  return (
    <div className="screen">
      <div className="screen-head">
        <h1>{t('custody.title')}</h1>
        <p className="screen-lede">{t('custody.lede')}</p>
      </div>
      <section className="panel" aria-labelledby="chain-heading">
        <div className="panel-head">
          <h2 id="chain-heading">{t('custody.chainStatus')}</h2>
          <button type="button" className="button" onClick={() => void verifyNow()} disabled={verifying} data-testid="custody-verify">
            {verifying ? t('common.verifying') : t('custody.verifyNow')}
          </button>
        </div>
        {integrityError ? <ErrorNotice error={integrityError} title={t('custody.verifyError')} testId="custody-verify-error" /> : null}
        {integrity ? (
          <p className={integrity.ok ? 'chain-ok' : 'chain-bad'} data-testid="custody-chain-status" data-integrity={integrity.ok ? 'ok' : 'problem'}>
            <span aria-hidden="true">{integrity.ok ? '✓ ' : '✕ '}</span>
            {integrity.ok ? t('custody.chainOk') : t('custody.problem', { problem: integrity.problem ?? t('app.hashMismatch') })} · {t('custody.entries', { count: integrity.custodyEntries })} ·{' '}
            {t('custody.rowsChecked', { count: integrity.evidenceRows })} · {t('custody.checkedAt', { time: formatTime(integrity.checkedAt) })}
            {integrity.chainHead ? (
              <>
                {' '}· {t('custody.head')} <Identifier value={integrity.chainHead} label={t('custody.headLabel')} short testId="custody-head" />
              </>
            ) : null}
          </p>
        ) : null}
      </section>
      <section className="panel" aria-labelledby="custody-heading">
        <h2 id="custody-heading" className="visually-hidden">
          {t('custody.log')}
        </h2>
        {error ? <ErrorNotice error={error} title={t('custody.readError')} testId="custody-error" /> : null}
        {!entries && !error ? <p className="muted">{t('custody.reading')}</p> : null}
        {entries ? (
          <DataTable
            label={t('custody.log')}
            columns={columns}
            rows={entries}
            rowKey={(e) => String(e.seq)}
            defaultSort={{ column: 'seq', dir: 'asc' }}
            testId="custody"
            rowTestId="custody-row"
            rowData={(e) => ({ 'data-seq': String(e.seq), 'data-action': e.action })}
            summary={t('custody.entries', { count: entries.length })}
            empty={t('custody.empty')}
          />
        ) : null}
      </section>
    </div>
  );
}
