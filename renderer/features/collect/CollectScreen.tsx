// Renderer: the Collect screen — which tenant, sign-in (device codes or app-only), options and preflight, live progress, then every collection's completeness.
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useCase } from '../../lib/caseState';
import { api, toApiError, type ApiError, type PreflightView } from '../../lib/api';
import { SignInPanel, useSignIn } from './SignInPanel';
import { CollectionPanel } from './CollectionPanel';
import { PreflightPanel, parseLogDays } from './PreflightPanel';
import { RunsPanel } from './RunsPanel';
import { TenantPicker } from './TenantPicker';
import './collect.css';

const PREFLIGHT_DEBOUNCE_MS = 250;

export function CollectScreen() {
  const { t } = useTranslation();
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
        <h1>{t('collect.title')}</h1>
        <p className="screen-lede">{t('collect.lede')}</p>
      </div>
      <div className="collect-grid">
        <TenantPicker onChanged={() => { graph.refresh(); exchange.refresh(); }} />
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
