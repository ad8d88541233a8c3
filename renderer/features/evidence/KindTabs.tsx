// Renderer: the Evidence screens' switcher — Applications and every other kind of collected object, each with its count.
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, type EvidenceKindView, type ObjectKindId } from '../../lib/api';
import { formatCount } from '../../lib/format';
import { routeHref, type Route } from '../../lib/route';
import { EVIDENCE_KINDS } from '../../../preload/evidenceKinds';
import { kindTitle } from './kindText';
import './evidence.css';

/** The kinds' switcher: Applications (their own screen) and every kind with its count. */
export function KindTabs({ current, kinds }: { current: ObjectKindId; kinds?: EvidenceKindView[] | null }) {
  const { t } = useTranslation();
  // Screens that do not read the kinds themselves (Applications) get their counts here.
  const [own, setOwn] = useState<EvidenceKindView[] | null>(null);
  useEffect(() => {
    if (kinds !== undefined) return;
    let live = true;
    api.evidence.kinds().then((k) => live && setOwn(k), () => undefined);
    return () => {
      live = false;
    };
  }, [kinds]);
  const counts = kinds ?? own;
  const count = (kind: string) => counts?.find((k) => k.kind === kind)?.count;
  return (
    <nav className="kind-tabs" aria-label={t('evidence.kindsLabel')} data-testid="kind-tabs">
      <ul>
        {(['application', ...EVIDENCE_KINDS] as ObjectKindId[]).map((kind) => {
          const route = (kind === 'application' ? 'evidence/applications' : `evidence/${kind}`) as Route;
          const n = count(kind);
          return (
            <li key={kind}>
              <a href={routeHref(route)} aria-current={kind === current ? 'page' : undefined} data-testid={`kind-tab-${kind}`}>
                {kindTitle(kind)}
                {n !== undefined ? <span className="kind-count">{formatCount(n)}</span> : null}
              </a>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}

