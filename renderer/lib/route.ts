// Renderer: the screen shown, kept in the URL hash so reloads and file:// both work without a router.
import { useEffect, useState } from 'react';
import { EVIDENCE_KINDS, type EvidenceKind } from '../../preload/evidenceKinds';

export type Route = 'start' | 'overview' | 'collect' | 'import' | 'evidence/applications' | `evidence/${EvidenceKind}` | 'findings' | 'checklist' | 'export' | 'custody' | 'settings' | 'timeline';
export const ROUTES: readonly Route[] = [
  'start',
  'overview',
  'collect',
  'import',
  'evidence/applications',
  ...EVIDENCE_KINDS.map((k) => `evidence/${k}` as const),
  'findings',
  'checklist',
  'export',
  'custody',
  'settings',
  'timeline',
];

/** The evidence kind a route shows, or null. */
export function evidenceKindOf(route: Route): EvidenceKind | null {
  const kind = route.startsWith('evidence/') ? route.slice('evidence/'.length) : '';
  return (EVIDENCE_KINDS as readonly string[]).includes(kind) ? (kind as EvidenceKind) : null;
}

/** An evidence screen with one object open (the overview links to what it lists). */
export function objectHref(kind: string, objectId: string): string {
  const route = kind === 'application' ? 'evidence/applications' : `evidence/${kind}`;
  return `#/${route}?${kind === 'application' ? 'app' : 'object'}=${encodeURIComponent(objectId)}`;
}

function parse(hash: string): Route {
  const path = hash.replace(/^#\/?/, '').split('?')[0] ?? '';
  return (ROUTES as readonly string[]).includes(path) ? (path as Route) : 'start';
}

export function routeHref(route: Route): string {
  return `#/${route}`;
}

/** The `?…` part of the hash, e.g. `#/findings?stage=persistence` → stage=persistence. */
export function routeQuery(): URLSearchParams {
  const hash = window.location.hash;
  const at = hash.indexOf('?');
  return new URLSearchParams(at >= 0 ? hash.slice(at + 1) : '');
}

/** The Findings screen, filtered to one storyline stage. */
export function findingsStageHref(stage: string): string {
  return `#/findings?stage=${encodeURIComponent(stage)}`;
}

/** The Checklist screen, opened at one step. */
export function checklistStepHref(stepId: string): string {
  return `#/checklist?step=${encodeURIComponent(stepId)}`;
}

/** The Findings screen, with one finding open. */
export function findingHref(key: string): string {
  return `#/findings?finding=${encodeURIComponent(key)}`;
}

export function navigate(route: Route): void {
  if (parse(window.location.hash) !== route) window.location.hash = `/${route}`;
}

export function useRoute(): Route {
  const [route, setRoute] = useState<Route>(() => parse(window.location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parse(window.location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

