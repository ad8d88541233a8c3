// Renderer: the screen shown, kept in the URL hash so reloads and file:// both work without a router.
import { useEffect, useState } from 'react';

export const ROUTES = ['start', 'collect', 'import', 'evidence/applications', 'findings', 'checklist', 'export', 'custody', 'settings'] as const;
export type Route = (typeof ROUTES)[number];

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
