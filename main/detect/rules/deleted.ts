// Main process / CLI / workers: the directory's deleted items — an app deleted and registered again under the same name, the create-and-remove habit of the campaign's script seen in the directory itself.
import type { Finding } from '../../../preload/contract';
import { objectRef } from '../context';
import type { Hit, Rule } from '../types';
import { SEVERITY_RANK } from '../types';

const lower = (s: string | null | undefined) => (s ?? '').toLowerCase();
const HIGH = SEVERITY_RANK.high;

export const deletedAndRecreated: Rule = {
  id: 'app.deleted-recreated',
  title: 'App deleted and registered again under the same name',
  explanation:
    'An application in the directory\'s deleted items (restorable for 30 days) has the same name as an application registered after it was deleted. ' +
    'The campaign\'s script deleted its artefacts and created them again; a person tidying up deletes an app that nothing replaces. ' +
    'The deleted copy keeps what the first registration held and when it existed.',
  severity: 'high',
  confidence: 'medium',
  attack: ['T1070', 'T1098.003'],
  remediation: { phase: 'eradicate', step: 'Leave the deleted copy deleted (it purges itself after 30 days; record how to restore it), and handle the live app as the other findings say.' },
  covers: ['Sentinel: Application deleted and recreated (Rare application lifecycle)'],
  stage: 'persistence',
  evaluate(ctx, prior: readonly Finding[]) {
    const deleted = ctx.objects('deletedApplication');
    if (deleted.length === 0) return [];
    const live = ctx.applications();
    // Live apps a high finding already names: a deleted twin of one of these is the campaign's.
    const flagged = new Set(prior.filter((f) => SEVERITY_RANK[f.severity] >= HIGH).flatMap((f) => [lower(f.subject.id), ...f.objects.map((o) => lower(o.id))]));
    const hits: Hit[] = [];
    for (const d of deleted) {
      const deletedAt = typeof d.raw.deletedDateTime === 'string' ? d.raw.deletedDateTime : null;
      if (!deletedAt || !d.displayName) continue;
      const twins = live.filter((a) => lower(a.displayName) === lower(d.displayName) && a.createdAt !== null && Date.parse(a.createdAt) >= Date.parse(deletedAt));
      if (twins.length === 0) continue;
      const twin = twins[0]!;
      const minutes = Math.round((Date.parse(twin.createdAt!) - Date.parse(deletedAt)) / 60_000);
      const severity = twins.some((t) => flagged.has(lower(t.objectId))) ? 'high' : 'medium';
      const twinSp = ctx.objects('deletedServicePrincipal').find((s) => lower(s.principalId) === lower(String(d.raw.appId ?? '')));
      hits.push({
        subject: { type: 'deletedApplication', id: d.objectId, name: d.displayName },
        severity,
        reason:
          `"${d.displayName}" (appId ${String(d.raw.appId ?? '?')}) was created at ${String(d.raw.createdDateTime ?? '?')} and deleted at ${deletedAt}; ` +
          `an app of the same name (appId ${twin.appId}) was registered ${minutes} minutes later, at ${twin.createdAt}` +
          (twinSp ? `; the deleted app's service principal ${twinSp.objectId} went with it` : '') + '.',
        reasonParts: [
          {
            key: 'deleted.twin',
            values: { name: d.displayName, appId: String(d.raw.appId ?? '?'), created: String(d.raw.createdDateTime ?? '?'), deleted: deletedAt, twinAppId: twin.appId, minutes, twinAt: twin.createdAt! },
          },
          ...(twinSp ? [{ key: 'deleted.servicePrincipal', values: { id: twinSp.objectId } }] : []),
        ],
        objects: [
          objectRef('deletedApplication', d, d.displayName),
          ...(twinSp ? [objectRef('deletedServicePrincipal', twinSp, twinSp.displayName)] : []),
          ...twins.map((t) => objectRef('application', t, t.displayName)),
        ],
        eventIds: [],
        iocs: [{ type: 'object-name', value: d.displayName, context: 'app name deleted and registered again', contextPart: { key: 'deletedRegistered', values: {} } }],
      });
    }
    return hits;
  },
};
