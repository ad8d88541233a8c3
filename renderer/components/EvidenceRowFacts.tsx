// Renderer: the evidence row a record came from and its full sha256, copyable — the same two facts wherever evidence is shown.
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { CopyButton } from './CopyButton';
import { Identifier } from './Identifier';

/** A long value (a hash, a URL) shown whole, wrapping, with its copy button. */
export function CopyableText({ value, label, testId, copyTestId, small = false, children }: { value: string; label: string; testId?: string; copyTestId?: string; small?: boolean; children?: ReactNode }) {
  return (
    <span className="hash-block">
      <span className={small ? 'mono small break' : 'mono break'} data-testid={testId}>
        {value}
      </span>
      <CopyButton value={value} label={label} compact testId={copyTestId} />
      {children}
    </span>
  );
}

/** The `<dt>`/`<dd>` pairs for an evidence row's id and sha256, inside the caller's `<dl>`. */
export function EvidenceRowFacts({ id, sha256, testIds }: { id: number; sha256: string; testIds: { id: string; sha256: string; copy?: string } }) {
  const { t } = useTranslation();
  return (
    <>
      <dt>{t('findings.evidence.row')}</dt>
      <dd>
        <Identifier value={String(id)} label={t('findings.evidence.idLabel')} testId={testIds.id} />
      </dd>
      <dt>sha256</dt>
      <dd>
        <CopyableText value={sha256} label={t('findings.evidence.shaLabel')} testId={testIds.sha256} copyTestId={testIds.copy} />
      </dd>
    </>
  );
}
