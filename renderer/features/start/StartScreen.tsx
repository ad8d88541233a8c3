// Renderer: the Start screen — recent cases to reopen and the new-case form.
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, toApiError, type ApiError, type RecentCase } from '../../lib/api';
import { useCase } from '../../lib/caseState';
import { navigate } from '../../lib/route';
import { DataTable, type Column } from '../../components/DataTable';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Time } from '../../components/Time';
import { NewCaseForm } from './NewCaseForm';
import { TrySimulator } from './TrySimulator';
import { OpenCaseFile } from './OpenCaseFile';
import { ReceivedCase } from './ReceivedCase';
import { CaseStoryline } from '../findings/CaseStoryline';
import './start.css';
import { ChecklistSummary } from '../checklist/ChecklistSummary';

export function StartScreen() {
  const { t } = useTranslation();
  const { openCase, caseOpened, info } = useCase();
  const [recent, setRecent] = useState<RecentCase[] | null>(null);
  const [recentError, setRecentError] = useState<ApiError | null>(null);
  const [opening, setOpening] = useState<string | null>(null);
  const [openError, setOpenError] = useState<ApiError | null>(null);

  // Read again whenever another case becomes the open one (a case file opened from disk joins the list).
  const openId = openCase?.caseId;
  useEffect(() => {
    let live = true;
    api.case.recent().then(
      (r) => live && setRecent(r),
      (err: unknown) => live && setRecentError(toApiError(err)),
    );
    return () => {
      live = false;
    };
  }, [openId]);

  const open = async (c: RecentCase) => {
    setOpening(c.caseId);
    setOpenError(null);
    try {
      const summary = await api.case.open(c.caseId);
      const integrity = await caseOpened(summary);
      navigate(integrity && integrity.evidenceRows > 0 ? 'overview' : 'collect');
    } catch (err) {
      setOpenError(toApiError(err));
    } finally {
      setOpening(null);
    }
  };

  const columns: Column<RecentCase>[] = [
    {
      id: 'name',
      header: t('start.colCase'),
      text: (r) => r.name,
      render: (r) => (
        <span className="cell-strong" data-testid="recent-case-name">
          {r.name}
        </span>
      ),
    },
    { id: 'file', header: t('start.colFile'), text: (r) => r.fileName, className: 'nowrap', render: (r) => <span className="mono small">{r.fileName}</span> },
    { id: 'opened', header: t('start.colOpened'), text: (r) => r.lastOpenedAt, className: 'col-time-wrap', render: (r) => <Time iso={r.lastOpenedAt} /> },
    {
      id: 'action',
      header: '',
      text: () => '',
      sortable: false,
      className: 'cell-action',
      // The case already open needs no Open button: the row says it is the one open.
      render: (r) =>
        openCase?.caseId === r.caseId ? (
          <span className="recent-current small" data-testid="recent-current">
            <span aria-hidden="true">● </span>
            {t('start.openNow')}
          </span>
        ) : (
        <button
          type="button"
          className="button button-small"
          onClick={() => void open(r)}
          disabled={opening !== null}
          aria-label={t('start.openCase', { name: r.name })}
          data-testid="recent-open"
        >
          {opening === r.caseId ? t('start.opening') : t('start.open')}
        </button>
        ),
    },
  ];

  return (
    <div className="screen">
      <div className="screen-head">
        <h1>{t('start.title')}</h1>
        <p className="screen-lede">{t('start.lede')}</p>
      </div>
      {openCase ? <ReceivedCase key={`received-${openCase.caseId}`} /> : null}
      {openCase ? <CaseStoryline /> : null}
      {openCase ? <ChecklistSummary key={openCase.caseId} /> : null}
      {!openCase && info?.environment?.simulator ? <TrySimulator environment={info.environment.name} /> : null}
      <div className="start-grid">
        <section className="panel" aria-labelledby="recent-heading">
          <h2 id="recent-heading">{t('start.recent')}</h2>
          <OpenCaseFile />
          {openError ? <ErrorNotice error={openError} title={t('start.openError')} testId="open-error" /> : null}
          {recentError ? (
            <ErrorNotice error={recentError} title={t('start.recentError')} testId="recent-error" />
          ) : recent === null ? (
            <p className="muted">{t('start.readingRecent')}</p>
          ) : (
            <DataTable
              label={t('start.recent')}
              columns={columns}
              rows={recent}
              rowKey={(r) => r.caseId}
              defaultSort={{ column: 'opened', dir: 'desc' }}
              testId="recent-cases"
              rowTestId="recent-case-row"
              rowData={(r) => ({ 'data-case-name': r.name })}
              empty={t('start.noRecent')}
            />
          )}
        </section>
        <section className="panel" aria-labelledby="new-case-heading">
          <h2 id="new-case-heading">{t('start.newCase')}</h2>
          <NewCaseForm />
        </section>
      </div>
    </div>
  );
}
