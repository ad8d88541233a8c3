// Renderer: the Start screen — recent cases to reopen and the new-case form.
import { useEffect, useState } from 'react';
import { api, toApiError, type ApiError, type RecentCase } from '../../lib/api';
import { useCase } from '../../lib/caseState';
import { navigate } from '../../lib/route';
import { DataTable, type Column } from '../../components/DataTable';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Time } from '../../components/Time';
import { NewCaseForm } from './NewCaseForm';
import { CaseStoryline } from '../findings/CaseStoryline';

export function StartScreen() {
  const { openCase, caseOpened } = useCase();
  const [recent, setRecent] = useState<RecentCase[] | null>(null);
  const [recentError, setRecentError] = useState<ApiError | null>(null);
  const [opening, setOpening] = useState<string | null>(null);
  const [openError, setOpenError] = useState<ApiError | null>(null);

  useEffect(() => {
    let live = true;
    api.case.recent().then(
      (r) => live && setRecent(r),
      (err: unknown) => live && setRecentError(toApiError(err)),
    );
    return () => {
      live = false;
    };
  }, []);

  const open = async (c: RecentCase) => {
    setOpening(c.caseId);
    setOpenError(null);
    try {
      const summary = await api.case.open(c.caseId);
      const integrity = await caseOpened(summary);
      navigate(integrity && integrity.evidenceRows > 0 ? 'evidence/applications' : 'collect');
    } catch (err) {
      setOpenError(toApiError(err));
    } finally {
      setOpening(null);
    }
  };

  const columns: Column<RecentCase>[] = [
    {
      id: 'name',
      header: 'Case',
      text: (r) => r.name,
      render: (r) => (
        <span className="cell-strong" data-testid="recent-case-name">
          {r.name}
          {openCase?.caseId === r.caseId ? <span className="badge badge-quiet">Open now</span> : null}
        </span>
      ),
    },
    { id: 'file', header: 'Case file', text: (r) => r.fileName, className: 'nowrap', render: (r) => <span className="mono small">{r.fileName}</span> },
    { id: 'opened', header: 'Last opened', text: (r) => r.lastOpenedAt, render: (r) => <Time iso={r.lastOpenedAt} /> },
    {
      id: 'action',
      header: '',
      text: () => '',
      sortable: false,
      className: 'cell-action',
      render: (r) => (
        <button
          type="button"
          className="button button-small"
          onClick={() => void open(r)}
          disabled={opening !== null}
          aria-label={`Open case ${r.name}`}
          data-testid="recent-open"
        >
          {opening === r.caseId ? 'Opening…' : 'Open'}
        </button>
      ),
    },
  ];

  return (
    <div className="screen">
      <div className="screen-head">
        <h1>Start</h1>
        <p className="screen-lede">Reopen a case, or start a new one. Everything collected goes into one case file on this computer.</p>
      </div>
      {openCase ? <CaseStoryline /> : null}
      <div className="start-grid">
        <section className="panel" aria-labelledby="recent-heading">
          <h2 id="recent-heading">Recent cases</h2>
          {openError ? <ErrorNotice error={openError} title="Could not open the case" testId="open-error" /> : null}
          {recentError ? (
            <ErrorNotice error={recentError} title="Could not list recent cases" testId="recent-error" />
          ) : recent === null ? (
            <p className="muted">Reading the list of recent cases…</p>
          ) : (
            <DataTable
              label="Recent cases"
              columns={columns}
              rows={recent}
              rowKey={(r) => r.caseId}
              defaultSort={{ column: 'opened', dir: 'desc' }}
              testId="recent-cases"
              rowTestId="recent-case-row"
              rowData={(r) => ({ 'data-case-name': r.name })}
              empty="No recent cases on this computer. Create one with the form."
            />
          )}
        </section>
        <section className="panel" aria-labelledby="new-case-heading">
          <h2 id="new-case-heading">New case</h2>
          <NewCaseForm />
        </section>
      </div>
    </div>
  );
}
