// Renderer: who signs exports and with which key — shown on Settings and on the export confirmation.
import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, toApiError, type ApiError, type SignerView } from '../../lib/api';
import { Identifier } from '../../components/Identifier';

export function SignerFacts({ signer, testId }: { signer: SignerView; testId: string }) {
  const { t } = useTranslation();
  return (
    <>
      {signer.notice ? (
        <p className="notice" role="status" data-testid={`${testId}-notice`}>
          {signer.notice}
        </p>
      ) : null}
      <dl className="facts facts-wide" data-testid={testId}>
        <dt>{t('settings.signer.signer')}</dt>
        <dd data-testid={`${testId}-identity`}>{signer.identity ?? '—'}</dd>
        <dt>{t('settings.signer.fingerprint')}</dt>
        <dd>
          {signer.fingerprint ? (
            <Identifier value={signer.fingerprint} label={t('settings.signer.fingerprintLabel')} testId={`${testId}-fingerprint`} />
          ) : (
            <span className="muted" data-testid={`${testId}-fingerprint`}>{t('settings.signer.noKey')}</span>
          )}
        </dd>
        {signer.protection ? (
          <>
            <dt>{t('settings.signer.stored')}</dt>
            <dd data-testid={`${testId}-protection`}>{t(`settings.signer.${signer.protection}`)}</dd>
          </>
        ) : null}
      </dl>
    </>
  );
}

/** The signing key as main describes it, read on mount; `reload` after anything that may make or replace it. */
export function useSigner(): { signer: SignerView | null; error: ApiError | null; reload: () => Promise<void> } {
  const [signer, setSigner] = useState<SignerView | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const reload = useCallback(async () => {
    try {
      setSigner(await api.export.signer());
      setError(null);
    } catch (err) {
      setError(toApiError(err));
    }
  }, []);
  useEffect(() => void reload(), [reload]);
  return { signer, error, reload };
}
