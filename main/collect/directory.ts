// Main process / CLI: the directory objects an OAuth-app investigation starts from, as checkpointed Graph sources.
import { insertApplications, insertOrganization, insertServicePrincipals } from '../../db/queries/directory';
import { runCollection, type CollectDeps, type CollectTarget, type PagedSource } from './engine';
import type { CollectionStatus } from '../../preload/contract';

export const DIRECTORY_SOURCES: readonly PagedSource[] = [
  { source: 'graph.organization', label: 'Organization', firstPage: () => '/v1.0/organization', store: insertOrganization },
  { source: 'graph.applications', label: 'Applications', firstPage: (top) => `/v1.0/applications?$top=${top}`, store: insertApplications },
  { source: 'graph.servicePrincipals', label: 'Service principals', firstPage: (top) => `/v1.0/servicePrincipals?$top=${top}`, store: insertServicePrincipals },
];

export function collectDirectory(deps: CollectDeps, target: CollectTarget): Promise<CollectionStatus> {
  return runCollection(deps, target, DIRECTORY_SOURCES);
}
