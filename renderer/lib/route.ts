// Renderer: the screen shown, kept in the URL hash so reloads and file:// both work without a router.
import { useEffect, useState } from 'react';

export const ROUTES = ['start', 'collect', 'evidence/applications', 'export', 'custody'] as const;
export type Route = (typeof ROUTES)[number];

function parse(hash: string): Route {
  const path = hash.replace(/^#\/?/, '');
  return (ROUTES as readonly string[]).includes(path) ? (path as Route) : 'start';
}

export function routeHref(route: Route): string {
  return `#/${route}`;
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
