// Renderer: who signs exports and with which key — shown on Settings and on the export confirmation.
import { useCallback, useEffect, useState } from 'react';
import { api, toApiError, type ApiError, type SignerView } from '../../lib/api';
import { Identifier } from '../../components/Identifier';

const PROTECTION: Record<NonNullable<SignerView['protection']>, string> = {
  keychain: 'Encrypted under the operating system’s keychain',
  passphrase: 'Encrypted under a passphrase',
  unencrypted: 'Not encrypted yet (an older key): it is encrypted the next time it signs',
};

export function SignerFacts({ signer, testId }: { signer: SignerView; testId: string }) {
  return (
    <>
      {signer.notice ? (
        <p className="notice" role="status" data-testid={`${testId}-notice`}>
          {signer.notice}
        </p>
      ) : null}
      <dl className="facts facts-wide" data-testid={testId}>
        <dt>Signer</dt>
        <dd data-testid={`${testId}-identity`}>{signer.identity ?? '—'}</dd>
        <dt>Key fingerprint</dt>
        <dd>
          {signer.fingerprint ? (
            <Identifier value={signer.fingerprint} label="signing key fingerprint" testId={`${testId}-fingerprint`} />
          ) : (
            <span className="muted" data-testid={`${testId}-fingerprint`}>No key yet: the first export makes one (Ed25519).</span>
          )}
        </dd>
        {signer.protection ? (
          <>
            <dt>Stored</dt>
            <dd data-testid={`${testId}-protection`}>{PROTECTION[signer.protection]}</dd>
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
