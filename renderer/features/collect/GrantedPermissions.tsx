// Renderer: what a sign-in may read — delegated scopes or the app roles granted — folded behind its count.
import { useTranslation } from 'react-i18next';

export function GrantedPermissions({ scopes, noun, testId }: { scopes: string[]; noun: 'scope' | 'app role'; testId: string }) {
  const { t } = useTranslation();
  return (
    <details>
      <summary data-testid={testId}>{noun === 'scope' ? t('collect.granted.scope', { count: scopes.length }) : t('collect.granted.appRole', { count: scopes.length })}</summary>
      <ul className="plain-list mono small">
        {scopes.map((s) => (
          <li key={s}>{s}</li>
        ))}
      </ul>
    </details>
  );
}
