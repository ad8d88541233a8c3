// Renderer: an error in the consultant's words, with the technical detail one click away.
import type { ApiError } from '../lib/api';

interface Props {
  error: ApiError;
  /** What the consultant was doing, e.g. "Could not create the case". */
  title?: string;
  testId?: string;
}

export function ErrorNotice({ error, title, testId = 'error' }: Props) {
  return (
    <div className="notice notice-error" role="alert" data-testid={testId} data-error-code={error.code}>
      <p className="notice-title">
        <span aria-hidden="true" className="notice-icon">✕</span>
        {title ?? 'Something went wrong'}
      </p>
      <p className="notice-message" data-testid={`${testId}-message`}>{error.message}</p>
      <details className="notice-detail">
        <summary>Technical detail</summary>
        <pre className="mono">{`code: ${error.code}${error.detail ? `\n${error.detail}` : ''}`}</pre>
      </details>
    </div>
  );
}
