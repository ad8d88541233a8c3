// Renderer: the full-page error shown when `window.peregrine` is absent (page opened outside Peregrine's host).
import { useTranslation } from 'react-i18next';

export function BridgeMissing() {
  const { t } = useTranslation();
  return (
    <main className="fatal" data-testid="bridge-missing">
      <div className="fatal-card" role="alert">
        <h1>{t('app.bridge.title')}</h1>
        <p>{t('app.bridge.body')}</p>
        <p>
          {t('app.bridge.todoBefore')}
          <code className="mono">peregrine serve</code>
          {t('app.bridge.todoAfter')}
        </p>
        <details className="notice-detail">
          <summary>{t('common.technicalDetail')}</summary>
          <pre className="mono">{t('app.bridge.detail')}</pre>
        </details>
      </div>
    </main>
  );
}
