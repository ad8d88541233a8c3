// Renderer: the Custody screen — the case's append-only, hash-chained log, with the chain's verification status.
import { useCallback, useEffect, useState } from 'react';
import { api, toApiError, type ApiError, type CustodyEntryView } from '../../lib/api';
import { useCase } from '../../lib/caseState';
import { formatCount, plural } from '../../lib/format';
import { DataTable, type Column } from '../../components/DataTable';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Identifier } from '../../components/Identifier';
import { Time } from '../../components/Time';

export function CustodyScreen() {
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
    { id: 'seq', header: 'Seq', text: (e) => String(e.seq), sortValue: (e) => e.seq, numeric: true, render: (e) => <span className="mono">{e.seq}</span> },
    { id: 'at', header: 'Time', text: (e) => formatTime(e.at), sortValue: (e) => e.at, className: 'col-time', render: (e) => <Time iso={e.at} /> },
    { id: 'action', header: 'Action', text: (e) => e.action, render: (e) => <span className="cell-strong" data-testid="custody-action">{e.action}</span> },
    { id: 'actor', header: 'Actor', text: (e) => e.actor, className: 'nowrap' },
    { id: 'summary', header: 'Summary', text: (e) => e.summary, className: 'col-summary', render: (e) => <span data-testid="custody-summary">{e.summary}</span> },
    { id: 'hash', header: 'Hash', text: (e) => e.hash, render: (e) => <Identifier value={e.hash} label={`hash of custody entry ${e.seq}`} short testId="custody-hash" /> },
  ];

  return (
    <div className="screen">
      <div className="screen-head">
        <h1>Custody</h1>
        <p className="screen-lede">Everything done to this case, in order. Each entry hashes the one before it, so no entry can be changed or removed unnoticed.</p>
      </div>
      <section className="panel" aria-labelledby="chain-heading">
        <div className="panel-head">
          <h2 id="chain-heading">Chain status</h2>
          <button type="button" className="button" onClick={() => void verifyNow()} disabled={verifying} data-testid="custody-verify">
            {verifying ? 'Verifying…' : 'Verify now'}
          </button>
        </div>
        {integrityError ? <ErrorNotice error={integrityError} title="The chain could not be checked" testId="custody-verify-error" /> : null}
        {integrity ? (
          <p className={integrity.ok ? 'chain-ok' : 'chain-bad'} data-testid="custody-chain-status" data-integrity={integrity.ok ? 'ok' : 'problem'}>
            <span aria-hidden="true">{integrity.ok ? '✓ ' : '✕ '}</span>
            {integrity.ok ? 'Custody chain OK' : `Problem: ${integrity.problem ?? 'a hash does not match'}`} · {plural(integrity.custodyEntries, 'entry', 'entries')} ·{' '}
            {formatCount(integrity.evidenceRows)} evidence rows checked · checked {formatTime(integrity.checkedAt)}
            {integrity.chainHead ? (
              <>
                {' '}· head <Identifier value={integrity.chainHead} label="custody chain head" short testId="custody-head" />
              </>
            ) : null}
          </p>
        ) : null}
      </section>
      <section className="panel" aria-labelledby="custody-heading">
        <h2 id="custody-heading" className="visually-hidden">
          Custody log
        </h2>
        {error ? <ErrorNotice error={error} title="Could not read the custody log" testId="custody-error" /> : null}
        {!entries && !error ? <p className="muted">Reading the custody log…</p> : null}
        {entries ? (
          <DataTable
            label="Custody log"
            columns={columns}
            rows={entries}
            rowKey={(e) => String(e.seq)}
            defaultSort={{ column: 'seq', dir: 'asc' }}
            testId="custody"
            rowTestId="custody-row"
            rowData={(e) => ({ 'data-seq': String(e.seq), 'data-action': e.action })}
            summary={plural(entries.length, 'entry', 'entries')}
            empty="The custody log is empty."
          />
        ) : null}
      </section>
    </div>
  );
}
