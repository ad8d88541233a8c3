// Renderer: the Collect screen — which tenant, sign-in (device codes or app-only), options and preflight, live progress, then every collection's completeness.
import { useEffect, useRef, useState } from 'react';
import { useCase } from '../../lib/caseState';
import { api, toApiError, type ApiError, type PreflightView } from '../../lib/api';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Identifier } from '../../components/Identifier';
import { SignInPanel, useSignIn } from './SignInPanel';
import { CollectionPanel } from './CollectionPanel';
import { PreflightPanel, parseLogDays } from './PreflightPanel';
import { RunsPanel } from './RunsPanel';

const PREFLIGHT_DEBOUNCE_MS = 250;

export function CollectScreen() {
  const { runsVersion, startCollection } = useCase();
  // Main has one sign-out for both services: whichever panel signs out, the other reads its state again.
  const refreshers = useRef<{ graph: () => void; exchange: () => void }>({ graph: () => undefined, exchange: () => undefined });
  const graph = useSignIn('graph', () => refreshers.current.exchange());
  const exchange = useSignIn('exchange', () => refreshers.current.graph());
  useEffect(() => {
    refreshers.current = { graph: graph.refresh, exchange: exchange.refresh };
  });

  // Collection reads the tenant as the signed-in account; unknown (status failed) leaves the choice to main.
  const signedIn = graph.auth === null ? null : graph.auth.state === 'signed-in';
  const graphAccount = graph.auth?.state === 'signed-in' ? graph.auth.username : null;
  const exchangeAccount = exchange.auth?.state === 'signed-in' ? exchange.auth.username : null;

  const [logDaysText, setLogDaysText] = useState('30');
  const [exchangeWanted, setExchangeWanted] = useState(false);
  const [inboxText, setInboxText] = useState('');
  const inboxRuleMailboxes = inboxText.split(/[\s,;]+/).map((m) => m.trim()).filter(Boolean);
  const logDays = parseLogDays(logDaysText);
  const includeExchange = exchangeWanted && exchangeAccount !== null;

  // A completed Exchange sign-in means the consultant wants Exchange: tick it once, leave later choices alone.
  const [lastExchangeAccount, setLastExchangeAccount] = useState<string | null>(null);
  if (exchangeAccount !== lastExchangeAccount) {
    setLastExchangeAccount(exchangeAccount);
    if (exchangeAccount) setExchangeWanted(true);
  }

  const [preflight, setPreflight] = useState<PreflightView | null>(null);
  const [preflightError, setPreflightError] = useState<ApiError | null>(null);
  const [preflightBusy, setPreflightBusy] = useState(false);
  // What the shown preflight answers: until it answers the current options and sign-ins (a debounce and a request
  // away), it is shown as being checked again, never as the answer for them.
  const preflightInputs = JSON.stringify([logDays, includeExchange, graphAccount, exchangeAccount, runsVersion]);
  const [preflightAnswers, setPreflightAnswers] = useState<string | null>(null);
  useEffect(() => {
    if (logDays === null) return;
    let live = true;
    const timer = setTimeout(() => {
      setPreflightBusy(true);
      api.collect
        .preflight({ logDays, exchange: includeExchange })
        .then(
          (p) => {
            if (!live) return;
            setPreflight(p);
            setPreflightError(null);
          },
          (err: unknown) => live && setPreflightError(toApiError(err)),
        )
        .finally(() => {
          if (!live) return;
          setPreflightBusy(false);
          setPreflightAnswers(preflightInputs);
        });
    }, PREFLIGHT_DEBOUNCE_MS);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [logDays, includeExchange, graphAccount, exchangeAccount, runsVersion, preflightInputs]);
  const preflightChecking = logDays !== null && (preflightBusy || preflightAnswers !== preflightInputs);

  // The sizes the ETA is measured against: the preflight as it stood when the run started.
  const [basis, setBasis] = useState<PreflightView | null>(null);
  const onCollect = () => {
    if (logDays === null) return;
    setBasis(preflight);
    void startCollection({ logDays, exchange: includeExchange, inboxRuleMailboxes: includeExchange ? inboxRuleMailboxes : [] });
  };

  return (
    <div className="screen">
      <div className="screen-head">
        <h1>Collect</h1>
        <p className="screen-lede">Read-only collection from the tenant into this case. Every page the tenant answers is kept with its sha256.</p>
      </div>
      <div className="collect-grid">
        <EnvironmentPanel />
        <SignInPanel graph={graph} exchange={exchange} />
      </div>
      <PreflightPanel
        signedIn={signedIn}
        exchangeAccount={exchangeAccount}
        logDaysText={logDaysText}
        onLogDays={setLogDaysText}
        exchangeChecked={includeExchange}
        onExchange={setExchangeWanted}
        inboxText={inboxText}
        onInbox={setInboxText}
        preflight={preflight}
        preflightError={preflightError}
        preflightBusy={preflightChecking}
        onCollect={onCollect}
      />
      <CollectionPanel basis={basis ?? preflight} />
      <RunsPanel />
    </div>
  );
}

function EnvironmentPanel() {
  const { info, infoError } = useCase();
  const env = info?.environment ?? null;
  return (
    <section className="panel" aria-labelledby="env-heading" data-testid="environment">
      <div className="panel-head">
        <h2 id="env-heading">Tenant</h2>
        {env?.simulator ? (
          <span className="badge badge-sim" data-testid="simulator-badge">
            Simulated tenant
          </span>
        ) : null}
      </div>
      {infoError ? (
        <ErrorNotice error={infoError} title="Could not read the tenant configuration" testId="environment-error" />
      ) : !info ? (
        <p className="muted">Reading configuration…</p>
      ) : !env ? (
        <p className="muted" data-testid="environment-none">
          No tenant is configured for this host, so collection is unavailable. Start Peregrine with a tenant configuration, or use a simulated tenant.
        </p>
      ) : (
        <dl className="facts">
          <dt>Environment</dt>
          <dd data-testid="env-name">
            {env.name} <span className="muted">· {env.cloud}</span>
          </dd>
          <dt>Tenant id</dt>
          <dd>
            <Identifier value={env.tenantId} label="tenant id" testId="env-tenant-id" />
          </dd>
          <dt>Authority</dt>
          <dd className="mono small break" data-testid="env-authority">{env.authority}</dd>
          <dt>Graph URL</dt>
          <dd className="mono small break" data-testid="env-graph-url">{env.graphBaseUrl}</dd>
          <dt>Client id</dt>
          <dd>
            <Identifier value={env.clientId} label="client id" testId="env-client-id" />
          </dd>
          <dt>Peregrine</dt>
          <dd className="muted small">
            {info.version} · {info.host === 'electron' ? 'desktop app' : 'browser host'}
          </dd>
        </dl>
      )}
    </section>
  );
}
