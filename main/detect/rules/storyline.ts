// Main process / CLI / workers: the correlation — joins the other findings into the campaign's storyline, link by link, for one app.
import type { Finding, ReasonPart } from '../../../preload/contract';
import type { DetectContext } from '../context';
import type { Hit, Rule } from '../types';
import { activityOn, appViews, campaignNameLabel, type AppView } from './apps';
import { stuffedAccounts } from './signins';

interface Link {
  step: string;
  at: string | null;
  text: string;
  /** The same link for the translations (reason.story.<key>). */
  said: ReasonPart;
  eventIds: number[];
  findingKeys: string[];
}

const short = (at: string) => `${at.slice(0, 16).replace('T', ' ')} UTC`;

/** When mail-flow objects were first created again after one was removed (Remove-* then New-*), or null without a removal. */
export function recreation(events: readonly { at: string; operation: string }[]): string | null {
  const sorted = [...events].sort((a, b) => a.at.localeCompare(b.at));
  const removal = sorted.find((e) => /^remove-/i.test(e.operation));
  if (!removal) return null;
  return sorted.find((e) => /^new-/i.test(e.operation) && e.at > removal.at)?.at ?? null;
}

/** What the app created in mail flow, for the translations: its connectors by name and how many transport rules. */
function mailFlowPart(mail: readonly Finding[]): ReasonPart {
  const connectors = mail.filter((f) => f.ruleId !== 'exchange.header-stripping-rule').map((f) => f.subject.name ?? f.subject.id).join(', ');
  const rules = mail.filter((f) => f.ruleId === 'exchange.header-stripping-rule').reduce((n, f) => n + (f.iocs.filter((i) => i.type === 'object-name').length || f.objects.length), 0);
  if (connectors && rules > 0) return { key: 'story.mailFlowBoth', values: { connectors, rules } };
  if (connectors) return { key: 'story.mailFlowConnectors', values: { connectors } };
  return { key: 'story.mailFlowRules', values: { rules } };
}

export const campaignStoryline: Rule = {
  id: 'storyline.oauth-mail-abuse',
  title: 'The OAuth mail-abuse campaign, end to end',
  explanation:
    'The findings joined into one chain, as Microsoft described the campaign: an account taken by credential stuffing registers an app, ' +
    'consents it to Exchange.ManageAsApp, makes it an administrator, adds its own credential, and the app then creates an inbound connector ' +
    'and header-stripping transport rules, removing and re-creating them between spam runs. Each link names the evidence that makes it.',
  severity: 'critical',
  confidence: 'high',
  attack: ['T1110.004', 'T1078.004', 'T1098.003', 'T1098.001', 'T1564.008'],
  remediation: { phase: 'contain', step: 'Work the checklist in order: disable the app\'s service principal and remove its credentials first, then its roles, consent, connector and rules; then reset and protect the accounts.' },
  covers: [
    'Sentinel: Credential added after admin consented to Application',
    'Sentinel: Admin promotion after Role Management Application Permission Grant',
    'Sentinel: Suspicious Service Principal creation activity',
  ],
  stage: null,
  evaluate(ctx: DetectContext, prior: readonly Finding[]): Hit[] {
    const stuffed = stuffedAccounts(prior);
    const registrations = ctx.directoryActivity().filter((a) => a.operation === 'add application');
    const views = appViews(ctx);
    const about = (app: AppView) => (f: Finding) =>
      app.ids.includes(f.subject.id.toLowerCase()) || f.subject.id.toLowerCase() === `app:${app.appId}` || f.iocs.some((i) => i.type === 'app-id' && i.value.toLowerCase() === app.appId);
    const hits: Hit[] = [];
    for (const app of views) {
      if (app.firstParty) continue;
      const mine = prior.filter(about(app)).filter((f) => f.severity === 'high' || f.severity === 'critical');
      const registration = registrations.find((r) => app.ids.some((id) => r.targetIds.has(id)));
      const byStuffed = registration?.actorUser ? stuffed.has(registration.actorUser.toLowerCase()) : false;
      const named = campaignNameLabel(app.name, ctx.domainLabels) !== null;
      if (mine.length === 0 || (!byStuffed && !named)) continue;
      const links: Link[] = [];
      const rule = (id: string) => mine.filter((f) => f.ruleId === id);
      if (byStuffed && registration) {
        const account = registration.actorUser!.toLowerCase();
        const stuffing = prior.filter((f) => f.ruleId === 'signin.credential-stuffing' && f.iocs.some((i) => i.type === 'account' && i.value.toLowerCase() === account));
        const success = stuffing.flatMap((f) => f.events.filter((e) => e.result === 'success' && e.actorUser?.toLowerCase() === account));
        links.push({
          step: 'initial-access', at: success[0]?.at ?? stuffing[0]?.firstAt ?? null,
          text: `${registration.actorUser} signed in from ${stuffing.map((f) => f.subject.id).join(', ')} during credential stuffing`,
          said: { key: 'story.signedIn', values: { account: registration.actorUser!, ips: stuffing.map((f) => f.subject.id).join(', ') } },
          eventIds: success.map((e) => e.id), findingKeys: stuffing.map((f) => f.key),
        });
        const mfa = prior.filter((f) => f.ruleId === 'identity.privileged-no-mfa' && f.objects.some((o) => o.kind === 'user' && o.name?.toLowerCase() === account));
        if (mfa.length > 0) {
          const registered = /MFA is registered but was not enforced/.test(mfa[0]!.reason);
          links.push({
            step: 'initial-access', at: null, text: `${registration.actorUser} is privileged and ${registered ? 'had MFA registered but not enforced' : 'had no MFA'}`,
            said: { key: registered ? 'story.mfaNotEnforced' : 'story.noMfa', values: { account: registration.actorUser! } }, eventIds: [], findingKeys: mfa.map((f) => f.key),
          });
        }
      }
      const activity = activityOn(ctx, app.ids);
      if (registration) {
        const actor = { actor: registration.actorUser ?? registration.actorAppId ?? '?', app: app.name };
        links.push({
          step: 'persistence', at: registration.at, text: `${registration.actorUser ?? registration.actorAppId ?? 'someone'} registered ${app.name}${registration.actorIp ? ` from ${registration.actorIp}` : ''}`,
          said: registration.actorIp ? { key: 'story.registeredFrom', values: { ...actor, ip: registration.actorIp } } : { key: 'story.registered', values: actor },
          eventIds: activity.filter((a) => a.operation === 'add application' || a.operation === 'add service principal').map((a) => a.eventId), findingKeys: rule('app.tenant-label-name').map((f) => f.key) });
      } else if (named) {
        links.push({ step: 'persistence', at: app.createdAt, text: `${app.name} was registered ${app.createdAt ?? ''} (no audit record in the collected window)`, said: { key: 'story.registeredNoAudit', values: { app: app.name } }, eventIds: [], findingKeys: rule('app.tenant-label-name').map((f) => f.key) });
      }
      const consent = activity.filter((a) => a.operation === 'consent to application' || a.operation === 'add app role assignment to service principal');
      const manage = rule('app.exchange-manage-as-app');
      if (consent.length > 0 || manage.length > 0) links.push({ step: 'persistence', at: consent[0]?.at ?? null, text: `${app.name} was consented to Exchange.ManageAsApp${consent[0]?.actorUser ? ` by ${consent[0].actorUser}` : ''}`, said: consent[0]?.actorUser ? { key: 'story.consentedBy', values: { app: app.name, user: consent[0].actorUser } } : { key: 'story.consented', values: { app: app.name } }, eventIds: consent.map((a) => a.eventId), findingKeys: manage.map((f) => f.key) });
      const roles = rule('sp.privileged-role');
      if (roles.length > 0) links.push({ step: 'privilege', at: roles[0]!.firstAt, text: `its service principal was made ${roles[0]!.objects.filter((o) => o.kind === 'roleAssignment').map((o) => o.name).join(' and ')}`, said: { key: 'story.roles', values: { roles: roles[0]!.objects.filter((o) => o.kind === 'roleAssignment').map((o) => o.name).join(', ') } }, eventIds: roles.flatMap((f) => f.events.map((e) => e.id)), findingKeys: roles.map((f) => f.key) });
      const creds = rule('app.credential-added');
      const credentialAt = creds.flatMap((f) => f.events).filter((e) => /certificates and secrets|credentials/.test(e.operation)).map((e) => e.at).sort()[0] ?? creds[0]?.firstAt ?? null;
      if (creds.length > 0) links.push({ step: 'credentials', at: credentialAt, text: `a credential was added to ${app.name}${creds[0]!.events[0]?.actorUser ? ` by ${creds[0]!.events[0].actorUser}` : ''}`, said: creds[0]!.events[0]?.actorUser ? { key: 'story.credentialBy', values: { app: app.name, user: creds[0]!.events[0].actorUser } } : { key: 'story.credential', values: { app: app.name } }, eventIds: creds.flatMap((f) => f.events.map((e) => e.id)), findingKeys: creds.map((f) => f.key) });
      const mail = mine.filter((f) => f.ruleId === 'exchange.suspicious-inbound-connector' || f.ruleId === 'exchange.header-stripping-rule');
      if (mail.length > 0) links.push({ step: 'mail-flow', at: mail.map((f) => f.firstAt).filter((t): t is string => t !== null).sort()[0] ?? null, text: `the app created ${mail.map((f) => (f.ruleId === 'exchange.header-stripping-rule' ? f.subject.name : `connector ${f.subject.name}`)).join(' and ')}`, said: mailFlowPart(mail), eventIds: mail.flatMap((f) => f.events.map((e) => e.id)), findingKeys: mail.map((f) => f.key) });
      const cycles = rule('exchange.config-cycle');
      if (cycles.length > 0) {
        const runs = cycles[0]!.reason.match(/in (\d+) creation runs?/)?.[1] ?? 'several';
        const recreatedAt = recreation(cycles.flatMap((f) => f.events));
        links.push({
          step: 'cleanup-cycles',
          // Dated at the first creation that followed a removal: the re-creation is what this link tells.
          at: recreatedAt ?? cycles[0]!.firstAt,
          text: recreatedAt ? `it removed and re-created them (${runs} runs)` : `it created them (${runs} ${runs === '1' ? 'run' : 'runs'}; no removal in the collected window)`,
          said: /^\d+$/.test(runs) ? { key: recreatedAt ? 'story.recreated' : 'story.createdOnly', values: { runs: Number(runs) } } : { key: recreatedAt ? 'story.recreatedSeveral' : 'story.createdOnlySeveral', values: {} },
          eventIds: cycles.flatMap((f) => f.events.map((e) => e.id)),
          findingKeys: cycles.map((f) => f.key),
        });
      }
      const steps = new Set(links.map((l) => l.step));
      if (steps.size < 3) continue;
      hits.push({
        subject: { type: 'application', id: app.application?.objectId ?? app.servicePrincipal!.objectId, name: app.name },
        severity: 'critical',
        reason: links.map((l, i) => `${i + 1}. ${l.at ? `${short(l.at)}: ` : ''}${l.text}.`).join(' '),
        // Each link's number and time lead its sentence (a space between links keeps them a numbered list on the screens).
        reasonParts: links.map((l, i) => ({ key: l.said.key, values: { ...l.said.values, step: `${i > 0 ? ' ' : ''}${i + 1}. ${l.at ? `${short(l.at)}: ` : ''}` } })),
        objects: prior.filter((f) => links.some((l) => l.findingKeys.includes(f.key))).flatMap((f) => f.objects),
        eventIds: links.flatMap((l) => l.eventIds),
        iocs: prior.filter((f) => links.some((l) => l.findingKeys.includes(f.key))).flatMap((f) => f.iocs),
      });
    }
    return hits;
  },
};
