// Renderer: an error in the consultant's words, with the technical detail one click away.
import { useTranslation } from 'react-i18next';
import type { ApiError } from '../lib/api';

interface Props {
  error: ApiError;
  /** What the consultant was doing, e.g. "Could not create the case". */
  title?: string;
  testId?: string;
}

export function ErrorNotice({ error, title, testId = 'error' }: Props) {
  const { t } = useTranslation();
  return (
    <div className="notice notice-error" role="alert" data-testid={testId} data-error-code={error.code}>
      <p className="notice-title">
        <span aria-hidden="true" className="notice-icon">✕</span>
        {title ?? t('common.somethingWrong')}
      </p>
      <p className="notice-message" data-testid={`${testId}-message`}>{error.message}</p>
      <details className="notice-detail">
        <summary>{t('common.technicalDetail')}</summary>
        <pre className="mono">{`${t('common.errorCode', { code: error.code })}${error.detail ? `\n${error.detail}` : ''}`}</pre>
      </details>
    </div>
  );
}
