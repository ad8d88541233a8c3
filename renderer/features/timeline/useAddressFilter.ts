// Renderer: the timeline filter the address carries (`#/timeline?…`, `#/export?…`), read again whenever the address changes.
import { useEffect, useMemo, useState } from 'react';
import type { TimelineFilter } from '../../lib/api';
import { routeQuery } from '../../lib/route';
import { filterFromQuery } from './timelineFilter';

/** Reads the filter from the address, and again whenever it changes (links from Findings, zoom, back). */
export function useAddressFilter(): { filter: TimelineFilter; stage: string | null } {
  const [query, setQuery] = useState(() => routeQuery().toString());
  useEffect(() => {
    const onChange = () => setQuery(routeQuery().toString());
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return useMemo(() => filterFromQuery(new URLSearchParams(query)), [query]);
}
