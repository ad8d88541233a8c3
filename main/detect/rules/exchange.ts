// Main process / CLI / workers: Exchange Online rules — the relay connector, header-stripping transport rules, their create/remove cycles, and mail forwarded outside the tenant.
import type { TenantObjectRecord } from '../../../db/queries/objects';
import { ualRawReader, type UalRawRef } from '../../../db/queries/ualRaw';
import type { FindingObject, Ioc, ReasonPart, Severity } from '../../../preload/contract';
import { Reason } from '../reason';
import { objectRef, type DetectContext, type ExchangeCmdlet } from '../context';
import type { Hit, Rule } from '../types';
import { appViews } from './apps';
import { plural } from '../text';

/** The campaign's connector name: 'Ran_' and five letters. */
export const CAMPAIGN_CONNECTOR = /^Ran_[A-Za-z]{5}$/;
/** The campaign's transport rule names: 'Test' and digits (Test01 … Test012). */
export const CAMPAIGN_RULE = /^Test\d+$/i;
/**
 * Headers that carry authentication, anti-spam or origin verdicts. Removing any of them hides spoofing and
 * relaying from recipients and from Microsoft's own filters: no ordinary mail-flow rule needs to.
 */
export const PROTECTED_HEADER =
  /^(x-ms-exchange-(externaloriginalinternetsender|skiplistedinternetsender|senderadcheck|authentication-results|antispam-[a-z0-9-]*|organization-authas|organization-authsource|organization-authmechanism|crosstenant-authas|crosstenant-authsource|crosstenant-originalarrivaltime|originating-ip)|received|received-spf|arc-(authentication-results|message-signature|seal)|dkim-signature|domainkey-signature|authentication-results(-original)?|x-forefront-antispam-report(-untrusted)?|x-microsoft-antispam[a-z0-9-]*|x-originating-ip|x-sender-ip|return-path)$/i;

const list = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' && v !== '' ? v.split(/[;,]/).map((s) => s.trim()).filter(Boolean) : [];

/** Who ran a cmdlet: an app (app-only Exchange PowerShell) or a user. */
/** `label` in English; `named` the same without English words, for the translations' values. */
function actorOf(ctx: DetectContext, c: ExchangeCmdlet): { key: string; label: string; named: string; isApp: boolean; appId: string | null } {
  const apps = appViews(ctx);
  const app = apps.find((a) => (c.actorAppId && a.appId === c.actorAppId.toLowerCase()) || (c.actorUser && a.servicePrincipal?.objectId.toLowerCase() === c.actorUser.toLowerCase()));
  if (app) return { key: `app:${app.appId}`, label: `app ${app.name} (${app.appId})`, named: `${app.name} (${app.appId})`, isApp: true, appId: app.appId };
  if (c.actorAppId && !c.actorUser?.includes('@')) return { key: `app:${c.actorAppId.toLowerCase()}`, label: `app ${c.actorAppId}`, named: c.actorAppId, isApp: true, appId: c.actorAppId.toLowerCase() };
  return { key: `user:${(c.actorUser ?? 'unknown').toLowerCase()}`, label: c.actorUser ?? 'an unknown account', named: c.actorUser ?? '?', isApp: false, appId: null };
}

const nounOf = (c: ExchangeCmdlet) => /^[a-z]+-([a-z]+)$/i.exec(c.cmdlet)?.[1]?.toLowerCase() ?? '';
const verbOf = (c: ExchangeCmdlet) => /^([a-z]+)-/i.exec(c.cmdlet)?.[1]?.toLowerCase() ?? '';
const nameOf = (c: ExchangeCmdlet) => c.params.Name ?? c.params.Identity ?? c.object ?? '';

/** Events naming these objects (alerts, message traces) besides the cmdlets themselves. */
function eventsNaming(ctx: DetectContext, names: string[]): number[] {
  if (names.length === 0) return [];
  return ctx.db
    .prepare(`SELECT id FROM event WHERE target_id IN (${names.map(() => '?').join(',')}) AND +run_id = ?`)
    .pluck()
    .all(...names, ctx.runId) as number[];
}

// ---- inbound connectors ----------------------------------------------------------------------

export const suspiciousConnector: Rule = {
  id: 'exchange.suspicious-inbound-connector',
  title: 'Inbound connector relaying from unexpected addresses',
  explanation:
    'An inbound connector tells Exchange Online to accept mail from the listed sender IP addresses as if from the organisation\'s own servers. ' +
    'The campaign\'s app created one named Ran_ plus five letters, with the spammers\' addresses, and relayed its spam through the tenant. ' +
    'A connector made by an app, or one with sender addresses nobody documented, is how that looks; partner and gateway connectors set up in the admin centre with their addresses documented are not.',
  severity: 'high',
  confidence: 'high',
  attack: ['T1564', 'T1114'],
  remediation: { phase: 'eradicate', step: 'Remove-InboundConnector for the connector; keep watching the Unified Audit Log for New-InboundConnector by the same app.' },
  // No rule in the corpus (Sentinel, Sigma, Elastic, Splunk, Panther, M365 Defender hunting) looks at inbound connectors.
  covers: [],
  stage: 'mail-flow',
  evaluate(ctx) {
    const current = new Map(ctx.objects('inboundConnector').map((o) => [(o.displayName ?? o.objectId).toLowerCase(), o]));
    const cmdlets = ctx.exchangeCmdlets().filter((c) => nounOf(c) === 'inboundconnector');
    const names = new Map<string, string>();
    for (const o of current.values()) names.set((o.displayName ?? o.objectId).toLowerCase(), o.displayName ?? o.objectId);
    for (const c of cmdlets) if (verbOf(c) === 'new' || verbOf(c) === 'set') names.set(nameOf(c).toLowerCase(), nameOf(c));
    const hits: Hit[] = [];
    for (const [key, name] of names) {
      const object = current.get(key) ?? null;
      const history = cmdlets.filter((c) => nameOf(c).toLowerCase() === key);
      const created = history.filter((c) => verbOf(c) === 'new');
      const appCreators = [...new Map(created.map((c) => actorOf(ctx, c)).filter((a) => a.isApp).map((a) => [a.key, a])).values()];
      const raw = object?.raw ?? {};
      const ips = [...new Set([...list(raw.SenderIPAddresses), ...history.flatMap((c) => list(c.params.SenderIPAddresses))])];
      const comment = typeof raw.Comment === 'string' ? raw.Comment.trim() : '';
      const viaAdminCentre = raw.ConnectorSource === 'AdminUI';
      const campaignName = CAMPAIGN_CONNECTOR.test(name);
      let severity: Severity | null = null;
      if (campaignName || appCreators.length > 0) severity = 'high';
      else if (ips.length > 0 && (comment === '' || !viaAdminCentre) && object !== null) severity = 'medium';
      else if (ips.length > 0) severity = 'low';
      if (severity === null) continue;
      const ipList = ips.join(', ');
      const said = new Reason();
      if (object && ips.length > 0) said.add('connector.configuredIps', { name, ips: ipList }, `Inbound connector "${name}" is configured and accepts mail from ${ipList}.`);
      else if (object) said.add('connector.configured', { name }, `Inbound connector "${name}" is configured.`);
      else if (ips.length > 0) said.add('connector.removedIps', { name, ips: ipList }, `Inbound connector "${name}" existed (removed since, per the Unified Audit Log) and accepts mail from ${ipList}.`);
      else said.add('connector.removed', { name }, `Inbound connector "${name}" existed (removed since, per the Unified Audit Log).`);
      if (campaignName) said.add('connector.campaignName', {}, 'Its name is "Ran_" and five letters, the campaign\'s pattern.');
      if (appCreators.length > 0) said.add('connector.appCreated', { creators: appCreators.map((a) => a.named).join(', ') }, `Created by ${appCreators.map((a) => a.label).join(', ')} through app-only Exchange PowerShell.`);
      if (created.length > 1) said.add('connector.createdTimes', { count: created.length, times: created.map((c) => c.at).join(', ') }, `Created ${created.length} times (${created.map((c) => c.at).join(', ')}).`);
      if (object) {
        const type = String(raw.ConnectorType ?? '?');
        // One English sentence; its translations are two (how it was made, whether a comment documents it).
        said.add(
          `connector.made.${viaAdminCentre ? 'adminCentre' : 'powershell'}.${raw.RequireTls === true ? 'tlsRequired' : 'tlsNotRequired'}`,
          { type },
          `Type ${type}, made through ${viaAdminCentre ? 'the admin centre' : 'PowerShell or the API'}, TLS ${raw.RequireTls === true ? 'required' : 'not required'}` +
            `${comment ? `; documented as: "${comment}"` : '; no comment documents it'}.`,
        );
        said.part(comment ? 'connector.comment' : 'connector.noComment', comment ? { comment } : {});
      }
      if (severity === 'low') said.add('connector.documented', {}, 'Its addresses are documented: confirm them with the client\'s mail team.');
      const objects: FindingObject[] = object ? [objectRef('inboundConnector', object, name)] : [];
      const iocs: Ioc[] =
        severity === 'low'
          ? []
          : [
              ...ips.map((ip): Ioc => ({ type: 'connector-sender-ip', value: ip, context: `connector ${name} accepts mail from it`, contextPart: { key: 'connectorAccepts', values: { name } } })),
              { type: 'object-name', value: name, context: 'inbound connector', contextPart: { key: 'inboundConnector', values: {} } },
              ...appCreators.flatMap((a): Ioc[] => (a.appId ? [{ type: 'app-id', value: a.appId, context: `created connector ${name}`, contextPart: { key: 'createdConnector', values: { name } } }] : [])),
            ];
      hits.push({
        subject: { type: 'inboundConnector', id: name, name },
        severity,
        reason: said.text,
        reasonParts: said.parts,
        objects,
        eventIds: [...history.map((c) => c.eventId), ...(severity === 'low' ? [] : eventsNaming(ctx, [name]))],
        iocs,
      });
    }
    return hits;
  },
};

// ---- transport rules that strip headers ----------------------------------------------------------

interface RuleSighting {
  name: string;
  headers: string[];
  object: TenantObjectRecord | null;
  cmdlets: ExchangeCmdlet[];
}

export const headerStrippingRules: Rule = {
  id: 'exchange.header-stripping-rule',
  title: 'Transport rules strip authentication and anti-spam headers',
  explanation:
    'Mail-flow (transport) rules with a RemoveHeader action that removes authentication, anti-spam or origin headers (Authentication-Results, ' +
    'Received-SPF, DKIM-Signature, ARC-*, X-MS-Exchange-SkipListedInternetSender…). The campaign created twelve, named Test01 to Test012, one header each, ' +
    'so its relayed spam looked like clean internal mail. Disclaimer, journaling and tagging rules do not remove these headers.',
  severity: 'high',
  confidence: 'high',
  attack: ['T1564.008'],
  remediation: { phase: 'eradicate', step: 'Remove-TransportRule for each rule listed; keep watching the Unified Audit Log for New-TransportRule with RemoveHeader.' },
  covers: [
    'Elastic: M365 Exchange Mail Flow Transport Rule Created',
  ],
  stage: 'mail-flow',
  evaluate(ctx) {
    const sightings = new Map<string, RuleSighting>();
    const sighting = (name: string) => {
      const key = name.toLowerCase();
      const s = sightings.get(key) ?? { name, headers: [], object: null, cmdlets: [] };
      sightings.set(key, s);
      return s;
    };
    for (const o of ctx.objects('transportRule')) {
      const headers = list(o.raw.RemoveHeader);
      const name = o.displayName ?? o.objectId;
      if (headers.some((h) => PROTECTED_HEADER.test(h)) || CAMPAIGN_RULE.test(name)) {
        const s = sighting(name);
        s.object = o;
        s.headers.push(...headers);
      }
    }
    const ruleCmdlets = ctx.exchangeCmdlets().filter((c) => nounOf(c) === 'transportrule');
    for (const c of ruleCmdlets) {
      const headers = list(c.params.RemoveHeader);
      if (headers.some((h) => PROTECTED_HEADER.test(h)) || CAMPAIGN_RULE.test(nameOf(c))) sighting(nameOf(c)).headers.push(...headers);
    }
    for (const c of ruleCmdlets) sightings.get(nameOf(c).toLowerCase())?.cmdlets.push(c);
    if (sightings.size === 0) return [];
    const all = [...sightings.values()].sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
    const stripping = all.filter((s) => s.headers.some((h) => PROTECTED_HEADER.test(h)));
    const headers = [...new Set(stripping.flatMap((s) => s.headers.filter((h) => PROTECTED_HEADER.test(h))))];
    const live = all.filter((s) => s.object !== null);
    const byApps = [...new Map(all.flatMap((s) => s.cmdlets).filter((c) => verbOf(c) === 'new').map((c) => actorOf(ctx, c)).filter((a) => a.isApp).map((a) => [a.key, a])).values()];
    const rules = { count: all.length, rules: all.map((s) => s.name).join(', ') };
    const said = new Reason().add(
      stripping.length > 0 ? 'transportRules.strip' : 'transportRules.named',
      stripping.length > 0 ? { ...rules, headerCount: headers.length, headers: headers.join(', ') } : rules,
      `${plural(all.length, 'transport rule')} (${all.map((s) => s.name).join(', ')})` +
        (stripping.length > 0 ? ` remove ${plural(headers.length, 'protected header')}: ${headers.join(', ')}.` : ' are named "Test" and digits, the campaign\'s pattern.'),
    );
    if (live.length > 0) said.add('transportRules.live', { live: live.length }, `${live.length} ${live.length === 1 ? 'is' : 'are'} configured now.`);
    else said.add('transportRules.noneLive', {}, 'None is configured now: the Unified Audit Log is the evidence.');
    if (byApps.length > 0) said.add('connector.appCreated', { creators: byApps.map((a) => a.named).join(', ') }, `Created by ${byApps.map((a) => a.label).join(', ')} through app-only Exchange PowerShell.`);
    return [{
      subject: { type: 'transportRules', id: 'header-stripping', name: `${all.length} transport rules`, namePart: { key: 'transportRules', values: { count: all.length } } },
      severity: stripping.length > 0 ? 'high' : 'medium',
      reason: said.text,
      reasonParts: said.parts,
      objects: live.map((s) => objectRef('transportRule', s.object!, s.name)),
      eventIds: all.flatMap((s) => s.cmdlets.map((c) => c.eventId)),
      iocs: [
        ...all.map((s): Ioc => ({ type: 'object-name', value: s.name, context: 'transport rule removing protected headers', contextPart: { key: 'strippingRule', values: {} } })),
        ...byApps.flatMap((a): Ioc[] => (a.appId ? [{ type: 'app-id', value: a.appId, context: 'created header-stripping transport rules', contextPart: { key: 'createdStrippingRules', values: {} } }] : [])),
      ],
    }];
  },
};

// ---- create / remove cycles -------------------------------------------------------------------

export const configurationCycles: Rule = {
  id: 'exchange.config-cycle',
  title: 'Mail-flow objects created, removed and re-created',
  explanation:
    'The Unified Audit Log shows the same actor creating inbound connectors or transport rules, removing them, and creating them again. ' +
    'The campaign removed its connector and rules after each spam run and re-created them weeks or months later, so a clean configuration ' +
    'today proves nothing: the audit history does. Changes made by an app (app-only Exchange PowerShell) are never routine admin work.',
  severity: 'high',
  confidence: 'high',
  attack: ['T1564', 'T1070'],
  remediation: { phase: 'verify', step: 'After removing the app and its objects, collect again and keep watching the Unified Audit Log for New-InboundConnector / New-TransportRule by the same actor.' },
  covers: [
    'Elastic: M365 Exchange Mail Flow Transport Rule Created',
    'Elastic: M365 Exchange Mail Flow Transport Rule Modified',
  ],
  stage: 'cleanup-cycles',
  evaluate(ctx) {
    const relevant = ctx.exchangeCmdlets().filter((c) => ['inboundconnector', 'outboundconnector', 'transportrule'].includes(nounOf(c)) && ['new', 'remove', 'set', 'disable', 'enable'].includes(verbOf(c)));
    const byActor = new Map<string, { actor: ReturnType<typeof actorOf>; cmdlets: ExchangeCmdlet[] }>();
    for (const c of relevant) {
      const actor = actorOf(ctx, c);
      const entry = byActor.get(actor.key) ?? { actor, cmdlets: [] };
      entry.cmdlets.push(c);
      byActor.set(actor.key, entry);
    }
    const hits: Hit[] = [];
    for (const { actor, cmdlets } of byActor.values()) {
      const perObject = new Map<string, ExchangeCmdlet[]>();
      for (const c of cmdlets) perObject.set(`${nounOf(c)}|${nameOf(c).toLowerCase()}`, [...(perObject.get(`${nounOf(c)}|${nameOf(c).toLowerCase()}`) ?? []), c]);
      const cycled = [...perObject.entries()].filter(([, cs]) => {
        const creates = cs.filter((c) => verbOf(c) === 'new').length;
        const removes = cs.filter((c) => verbOf(c) === 'remove').length;
        return creates >= 2 && removes >= 1;
      });
      // An app creating mail-flow objects is never routine admin work: one run still in place is the first cycle.
      const appMade = actor.isApp && cmdlets.some((c) => verbOf(c) === 'new');
      if (cycled.length === 0 && !appMade) continue;
      const creates = cmdlets.filter((c) => verbOf(c) === 'new');
      const removes = cmdlets.filter((c) => verbOf(c) === 'remove');
      // Runs: creations more than a day apart start a new cycle.
      const runs: string[] = [];
      for (const c of creates) if (runs.length === 0 || Date.parse(c.at) - Date.parse(runs[runs.length - 1]!) > 86_400_000) runs.push(c.at);
      const names = [...new Set([...perObject.values()].map((cs) => nameOf(cs[0]!)))];
      const severity: Severity = actor.isApp ? 'high' : 'medium';
      const shown = `${names.slice(0, 14).join(', ')}${names.length > 14 ? `, … (+${names.length - 14})` : ''}`;
      const said = new Reason().add(
        'cycles.ran',
        { actor: actor.named, creates: creates.length, removes: removes.length, objects: names.length, names: shown, runs: runs.length, times: runs.join(', ') },
        `${actor.label} ran ${plural(creates.length, 'New- cmdlet')} and ${plural(removes.length, 'Remove- cmdlet')} on ${plural(names.length, 'connector or rule', 'connectors and rules')} ` +
          `(${names.slice(0, 14).join(', ')}${names.length > 14 ? ` and ${names.length - 14} more` : ''}) in ${plural(runs.length, 'creation run')}: ${runs.join(', ')}.` +
          `${cycled.length > 0 ? ` ${plural(cycled.length, 'object was', 'objects were')} created again after being removed.` : ''}` +
          `${actor.isApp ? ' The actor is an app using app-only Exchange PowerShell.' : ''}`,
      );
      if (cycled.length > 0) said.part('cycles.recreated', { count: cycled.length });
      if (actor.isApp) said.part('cycles.app', {});
      hits.push({
        subject: { type: actor.isApp ? 'application' : 'account', id: actor.key, name: actor.label, ...(actor.isApp ? { namePart: { key: 'app', values: { app: actor.named } } } : {}) },
        severity,
        reason: said.text,
        reasonParts: said.parts,
        objects: [],
        eventIds: [...cmdlets.map((c) => c.eventId), ...eventsNaming(ctx, names.filter((n) => CAMPAIGN_CONNECTOR.test(n) || actor.isApp))],
        iocs: actor.appId ? [{ type: 'app-id', value: actor.appId, context: 'created and removed mail-flow objects', contextPart: { key: 'cycledMailFlow', values: {} } }] : [],
      });
    }
    return hits;
  },
};

// ---- mail forwarded outside ------------------------------------------------------------------

const ADDRESS = /([A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})/g;

export const externalForwarding: Rule = {
  id: 'mail.external-forwarding',
  title: 'Mail forwarded outside the organisation',
  explanation:
    'A mailbox forwards its mail (ForwardingSmtpAddress), an inbox rule forwards or redirects messages, or a transport rule copies mail, to an address ' +
    'outside the tenant\'s domains. Attackers set these to keep reading mail after they lose access; people also set them to reach a personal account, ' +
    'which leaks data all the same.',
  severity: 'medium',
  confidence: 'medium',
  attack: ['T1114.003'],
  remediation: { phase: 'eradicate', step: 'Clear the forwarding (Set-Mailbox -ForwardingSmtpAddress $null) or remove the inbox rule, after confirming with the mailbox owner.' },
  covers: [
    'Sigma: Mail Forwarding/Redirecting Activity In O365',
    'Elastic: M365 Exchange Inbox Forwarding Rule Created',
    'Panther: Microsoft Exchange External Forwarding',
    'Splunk: O365 Mailbox Email Forwarding Enabled',
    'Splunk: O365 New Email Forwarding Rule Created',
    'Splunk: O365 New Email Forwarding Rule Enabled',
    'Splunk: O365 New Forwarding Mailflow Rule Created',
    'Sentinel: Multiple users email forwarded to same destination',
    'Sentinel: Mail redirect via ExO transport rule',
  ],
  stage: null,
  evaluate(ctx) {
    const internal = (address: string) => {
      const domain = address.split('@')[1]?.toLowerCase() ?? '';
      return ctx.domains.some((d) => domain === d || domain.endsWith(`.${d}`));
    };
    const externals = (values: unknown[]) => [...new Set(values.flatMap((v) => list(v)).flatMap((v) => [...v.matchAll(ADDRESS)].map((m) => m[1]!.toLowerCase())).filter((a) => !internal(a)))];
    // `how` in English; `said` the same for the translations (reason.forwarding.*), `rule` the transport rule an entry is about.
    const perMailbox = new Map<string, { name: string; rule: string | null; addresses: Set<string>; objects: FindingObject[]; eventIds: number[]; how: string[]; said: ReasonPart[] }>();
    const entry = (mailbox: string, rule: string | null = null) => {
      const key = mailbox.toLowerCase();
      const e = perMailbox.get(key) ?? { name: mailbox, rule, addresses: new Set<string>(), objects: [], eventIds: [], how: [], said: [] };
      perMailbox.set(key, e);
      return e;
    };
    for (const m of ctx.objects('mailbox')) {
      const found = externals([m.raw.ForwardingSmtpAddress]);
      if (found.length === 0) continue;
      const e = entry(m.displayName ?? m.objectId);
      found.forEach((a) => e.addresses.add(a));
      e.objects.push(objectRef('mailbox', m, m.displayName));
      e.how.push(`ForwardingSmtpAddress ${found.join(', ')}${m.raw.DeliverToMailboxAndForward === true ? ' (keeping a copy)' : ' (no copy kept in the mailbox)'}`);
      e.said.push({ key: m.raw.DeliverToMailboxAndForward === true ? 'forwarding.smtpCopy' : 'forwarding.smtpNoCopy', values: { addresses: found.join(', ') } });
    }
    for (const r of ctx.objects('inboxRule')) {
      const found = externals([r.raw.ForwardTo, r.raw.RedirectTo, r.raw.ForwardAsAttachmentTo]);
      if (found.length === 0) continue;
      const e = entry(String(r.raw.MailboxOwnerId ?? r.principalId ?? 'unknown mailbox'));
      found.forEach((a) => e.addresses.add(a));
      e.objects.push(objectRef('inboxRule', r, r.displayName));
      e.how.push(`inbox rule "${r.displayName ?? r.objectId}" ${r.raw.Enabled === false ? '(disabled) ' : ''}sends to ${found.join(', ')}`);
      e.said.push({ key: r.raw.Enabled === false ? 'forwarding.inboxRuleDisabled' : 'forwarding.inboxRule', values: { rule: r.displayName ?? r.objectId, addresses: found.join(', ') } });
    }
    for (const c of ctx.exchangeCmdlets()) {
      const noun = nounOf(c);
      if (!['mailbox', 'inboxrule'].includes(noun) || !['new', 'set', 'enable'].includes(verbOf(c))) continue;
      const found = externals([c.params.ForwardingSmtpAddress, c.params.ForwardTo, c.params.RedirectTo, c.params.ForwardAsAttachmentTo]);
      if (found.length === 0) continue;
      const e = entry(noun === 'mailbox' ? (c.params.Identity ?? c.object ?? 'unknown mailbox') : (c.params.Mailbox ?? c.actorUser ?? 'unknown mailbox'));
      found.forEach((a) => e.addresses.add(a));
      e.eventIds.push(c.eventId);
      e.how.push(`${c.cmdlet} by ${c.actorUser ?? c.actorAppId ?? 'unknown'} at ${c.at} to ${found.join(', ')}`);
      e.said.push({ key: 'forwarding.cmdlet', values: { cmdlet: c.cmdlet, actor: c.actorUser ?? c.actorAppId ?? '?', at: c.at, addresses: found.join(', ') } });
    }
    // Transport rules that copy or redirect everyone's mail outside: one rule forwards the whole tenant.
    for (const r of ctx.objects('transportRule')) {
      const found = externals([r.raw.BlindCopyTo, r.raw.RedirectMessageTo, r.raw.CopyTo, r.raw.AddToRecipients]);
      if (found.length === 0) continue;
      const e = entry(`transport rule ${r.displayName ?? r.objectId}`, r.displayName ?? r.objectId);
      found.forEach((a) => e.addresses.add(a));
      e.objects.push(objectRef('transportRule', r, r.displayName));
      e.how.push(`copies or redirects mail to ${found.join(', ')}`);
      e.said.push({ key: 'forwarding.transportRuleCopies', values: { addresses: found.join(', ') } });
    }
    for (const c of ctx.exchangeCmdlets()) {
      if (nounOf(c) !== 'transportrule' || !['new', 'set'].includes(verbOf(c))) continue;
      const found = externals([c.params.BlindCopyTo, c.params.RedirectMessageTo, c.params.CopyTo, c.params.AddToRecipients]);
      if (found.length === 0) continue;
      const e = entry(`transport rule ${nameOf(c)}`, nameOf(c));
      found.forEach((a) => e.addresses.add(a));
      e.eventIds.push(c.eventId);
      e.how.push(`${c.cmdlet} by ${c.actorUser ?? c.actorAppId ?? 'unknown'} at ${c.at} to ${found.join(', ')}`);
      e.said.push({ key: 'forwarding.cmdlet', values: { cmdlet: c.cmdlet, actor: c.actorUser ?? c.actorAppId ?? '?', at: c.at, addresses: found.join(', ') } });
    }
    // Rules made in Outlook are audited in the mailbox (UpdateInboxRules), not as cmdlets: their actions are in OperationProperties.
    for (const m of mailboxRuleUpdates(ctx)) {
      const found = externals(m.recipients);
      if (found.length === 0) continue;
      const e = entry(m.mailbox);
      found.forEach((a) => e.addresses.add(a));
      e.eventIds.push(m.eventId);
      e.how.push(`inbox rule ${m.rule ? `"${m.rule}" ` : ''}set in the mail client at ${m.at} (${m.actions.join(', ')}) to ${found.join(', ')}`);
      const values = { at: m.at, actions: m.actions.join(', '), addresses: found.join(', ') };
      e.said.push(m.rule ? { key: 'forwarding.clientRule', values: { rule: m.rule, ...values } } : { key: 'forwarding.clientRuleUnnamed', values });
    }
    return [...perMailbox.values()].map((e): Hit => ({
      subject: { type: 'mailbox', id: e.name.toLowerCase(), name: e.name, ...(e.rule === null ? {} : { namePart: { key: 'transportRule', values: { rule: e.rule } } }) },
      severity: 'medium',
      reason: `${e.name}: ${e.how.join('; ')}.`,
      reasonParts: [e.rule === null ? { key: 'forwarding.mailbox', values: { mailbox: e.name } } : { key: 'forwarding.transportRule', values: { rule: e.rule } }, ...e.said],
      objects: e.objects,
      eventIds: e.eventIds,
      iocs: [...e.addresses].map((a): Ioc => ({
        type: 'email', value: a, context: `${e.name} forwards mail to it`,
        contextPart: e.rule === null ? { key: 'mailboxForwardsTo', values: { mailbox: e.name } } : { key: 'transportRuleForwardsTo', values: { rule: e.rule } },
      })),
    }));
  },
};

interface MailboxRuleUpdate {
  eventId: number;
  at: string;
  mailbox: string;
  rule: string | null;
  actions: string[];
  recipients: string[];
}

/** UpdateInboxRules mailbox-audit records whose rule forwards or redirects (ActionType Forward, Redirect, ForwardAsAttachment). */
function mailboxRuleUpdates(ctx: DetectContext): MailboxRuleUpdate[] {
  const rows = ctx.db
    .prepare(
      `SELECT e.id, e.at, e.actor_user, u.raw, u.evidence_id, u.page_index FROM ual_record u CROSS JOIN event e ON e.run_id = u.run_id AND e.source = 'ual' AND e.record_id = u.id
       WHERE u.run_id = ? AND u.record_type IN ('ExchangeItem', 'ExchangeItemGroup', 'ExchangeAggregatedOperation') AND u.operation = 'updateinboxrules'`,
    )
    .all(ctx.runId) as ({ id: number; at: string; actor_user: string | null } & UalRawRef)[];
  const records = ualRawReader(ctx.db).readAll(rows);
  const out: MailboxRuleUpdate[] = [];
  for (const [i, row] of rows.entries()) {
    const raw = records[i]!;
    const data = typeof raw.AuditData === 'string' ? (JSON.parse(raw.AuditData) as Record<string, unknown>) : raw;
    const props = Array.isArray(data.OperationProperties) ? (data.OperationProperties as { Name?: unknown; Value?: unknown }[]) : [];
    const value = (name: string) => props.find((p) => p.Name === name)?.Value;
    let actions: { ActionType?: unknown; Recipients?: unknown }[] = [];
    try {
      const parsed = JSON.parse(String(value('RuleActions') ?? '[]')) as unknown;
      actions = Array.isArray(parsed) ? (parsed as typeof actions) : [];
    } catch {
      actions = [];
    }
    const sending = actions.filter((a) => typeof a.ActionType === 'string' && /forward|redirect/i.test(a.ActionType));
    if (sending.length === 0) continue;
    out.push({
      eventId: row.id, at: row.at,
      mailbox: typeof data.MailboxOwnerUPN === 'string' ? data.MailboxOwnerUPN : (row.actor_user ?? 'unknown mailbox'),
      rule: typeof value('RuleName') === 'string' ? (value('RuleName') as string) : null,
      actions: sending.map((a) => String(a.ActionType)),
      recipients: sending.flatMap((a) => (Array.isArray(a.Recipients) ? a.Recipients.filter((r): r is string => typeof r === 'string') : [])),
    });
  }
  return out;
}
