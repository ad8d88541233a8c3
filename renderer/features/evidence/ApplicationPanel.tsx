// Renderer: the side panel for one application — its flags in full, its fields, and the evidence row it came from.
import { useEffect, useRef } from 'react';
import { ruleTexts } from '../findings/findingText';
import { useTranslation } from 'react-i18next';
import type { ApplicationRow } from '../../lib/api';
import { formatCount } from '../../lib/format';
import { EvidenceRowFacts } from '../../components/EvidenceRowFacts';
import { Identifier } from '../../components/Identifier';
import { SeverityBadge } from '../../components/Severity';
import { Time } from '../../components/Time';
import { audienceWords, sortedFlags } from './applicationText';
import { ObjectRecordSections } from './ObjectRecord';

export function ApplicationPanel({ app, onClose }: { app: ApplicationRow; onClose: () => void }) {
  const { t } = useTranslation();
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    heading.current?.focus();
  }, [app.id]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);

  return (
    <aside className="side-panel" aria-labelledby="app-panel-title" data-testid="app-panel" data-app-name={app.displayName}>
      <div className="side-panel-head">
        <h2 id="app-panel-title" ref={heading} tabIndex={-1} data-testid="app-panel-title">
          {app.displayName}
        </h2>
        {app.ours ? <span className="badge badge-quiet" title={t('apps.oursHint')} data-testid="app-panel-ours">{t('apps.ours')}</span> : null}
        <button type="button" className="icon-button" onClick={onClose} aria-label={t('apps.panel.close')} data-testid="app-panel-close">
          <span aria-hidden="true">✕</span>
        </button>
      </div>

      {app.flags.length > 0 ? (
        <section aria-label={t('apps.panel.flags')} className="panel-section">
          <h3>{t('apps.panel.flags')}</h3>
          <ul className="flag-cards">
            {sortedFlags(app.flags).map((f) => (
              <li key={f.ruleId} className={`flag-card flag-card-${f.severity}`} data-testid="app-panel-flag">
                <div className="flag-head">
                  <SeverityBadge level={f.severity} />
                  <strong>{ruleTexts(f).title}</strong>
                </div>
                <p data-testid="app-panel-reason">{f.reason}</p>
                <p className="muted small">
                  {t('apps.panel.rule')} <span className="mono">{f.ruleId}</span>
                  {f.attack ? (
                    <>
                      {' '}· ATT&amp;CK <span className="mono">{f.attack}</span>
                    </>
                  ) : null}
                </p>
              </li>
            ))}
          </ul>
        </section>
      ) : (
        <p className="muted">{t('apps.panel.noFlags')}</p>
      )}

      <section aria-label={t('apps.panel.fields')} className="panel-section">
        <h3>{t('apps.panel.fields')}</h3>
        <dl className="facts">
          <dt>{t('apps.panel.appId')}</dt>
          <dd>
            <Identifier value={app.appId} label={t('apps.panel.appIdLabel')} testId="app-panel-app-id" />
          </dd>
          <dt>{t('apps.panel.objectId')}</dt>
          <dd>
            <Identifier value={app.id} label={t('apps.panel.objectIdLabel')} testId="app-panel-object-id" />
          </dd>
          <dt>{t('apps.panel.audience')}</dt>
          <dd>
            {audienceWords(app.signInAudience)} {app.signInAudience ? <span className="mono small muted">{app.signInAudience}</span> : null}
          </dd>
          <dt>{t('apps.panel.publisher')}</dt>
          <dd className="mono small">{app.publisherDomain ?? '—'}</dd>
          <dt>{t('apps.panel.created')}</dt>
          <dd>
            <Time iso={app.createdDateTime} />
          </dd>
          <dt>{t('apps.panel.secrets')}</dt>
          <dd>{formatCount(app.passwordCredentials)}</dd>
          <dt>{t('apps.panel.certificates')}</dt>
          <dd>{formatCount(app.keyCredentials)}</dd>
          <dt>{t('apps.panel.permissions')}</dt>
          <dd>
            {app.permissions.length === 0 ? (
              <span className="muted">{t('apps.panel.noPermissions')}</span>
            ) : (
              <ul className="plain-list" data-testid="app-panel-permissions">
                {app.permissions.map((p) => (
                  <li key={p}>{p}</li>
                ))}
              </ul>
            )}
          </dd>
        </dl>
      </section>

      <section aria-label={t('apps.panel.evidence')} className="panel-section">
        <h3>{t('apps.panel.evidence')}</h3>
        <dl className="facts">
          <EvidenceRowFacts id={app.evidenceId} sha256={app.evidenceSha256} testIds={{ id: 'app-panel-evidence-id', sha256: 'app-panel-sha256', copy: 'app-panel-sha256-copy' }} />
        </dl>
      </section>
      <ObjectRecordSections kind="application" objectId={app.id} withFindings={false} withEvidence={false} />
    </aside>
  );
}
