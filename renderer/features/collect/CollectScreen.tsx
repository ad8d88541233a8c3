// Renderer: the Collect screen — which tenant, sign in with a device code, then collect with live per-source progress.
import { useCase } from '../../lib/caseState';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Identifier } from '../../components/Identifier';
import { SignInPanel, useSignIn } from './SignInPanel';
import { CollectionPanel } from './CollectionPanel';

export function CollectScreen() {
  const signIn = useSignIn();
  // Collection reads the tenant as the signed-in account; unknown (status failed) leaves the choice to main.
  const signedIn = signIn.auth === null ? null : signIn.auth.state === 'signed-in';
  return (
    <div className="screen">
      <div className="screen-head">
        <h1>Collect</h1>
        <p className="screen-lede">Read-only collection from the tenant into this case. Every page the tenant answers is kept with its sha256.</p>
      </div>
      <div className="collect-grid">
        <EnvironmentPanel />
        <SignInPanel signIn={signIn} />
      </div>
      <CollectionPanel signedIn={signedIn} />
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
