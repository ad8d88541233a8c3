// Renderer: what a sign-in may read — delegated scopes or the app roles granted — folded behind its count.
import { plural } from '../../lib/format';

export function GrantedPermissions({ scopes, noun, testId }: { scopes: string[]; noun: 'scope' | 'app role'; testId: string }) {
  return (
    <details>
      <summary data-testid={testId}>{plural(scopes.length, noun)} granted</summary>
      <ul className="plain-list mono small">
        {scopes.map((s) => (
          <li key={s}>{s}</li>
        ))}
      </ul>
    </details>
  );
}
