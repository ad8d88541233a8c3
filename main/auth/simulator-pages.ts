// Main process / CLI: signs in on the tenant simulator's own pages over HTTP, as a person would — pick the account,
// accept the consent prompt for the organisation — for `--auto-approve-on-sim` and tests. Never used with a real tenant.
import type { HttpTransport } from '../http/https';
import { isLoopbackListener } from './loopback';

interface PageForm {
  action: string;
  fields: URLSearchParams;
  /** The account picker's preselected or first option, when the form has one. */
  firstUser: string | null;
  hasConsent: boolean;
}

const decode = (s: string) => s.replace(/&(amp|lt|gt|quot|#39);/g, (_m, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e] ?? '');
const attr = (tag: string, name: string) => {
  const m = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
  return m ? decode(m[1]!) : null;
};

function firstForm(html: string): PageForm | null {
  const form = /<form\b([^>]*)>([\s\S]*?)<\/form>/.exec(html);
  if (!form) return null;
  const fields = new URLSearchParams();
  for (const [input] of form[2]!.matchAll(/<input\b[^>]*>/g)) {
    const name = attr(input, 'name');
    const type = attr(input, 'type') ?? 'text';
    if (!name || (type === 'checkbox' && !/\schecked\b/.test(input))) continue;
    fields.set(name, attr(input, 'value') ?? '');
  }
  // The account the page preselected (a login hint), else the first listed.
  const option = /<option[^>]*value="([^"]+)"[^>]*\sselected/.exec(form[2]!) ?? /<select\b[^>]*name="user"[^>]*>[\s\S]*?<option[^>]*value="([^"]+)"/.exec(form[2]!);
  return { action: attr(`<form${form[1]!}>`, 'action') ?? '', fields, firstUser: option ? decode(option[1]!) : null, hasConsent: /name="consent"/.test(form[2]!) };
}

const messageOf = (html: string) => decode(/id="message"[^>]*>([\s\S]*?)<\/p>/.exec(html)?.[1]?.replace(/<[^>]+>/g, '') ?? '').trim();

/**
 * Answers pages from `url` on: fills `fill` into the first form, picks the first account, accepts consent (for the
 * organisation when offered), and posts the final form to the app's loopback redirect URI, if the page has one.
 */
async function walk(transport: HttpTransport, url: string, first: { method: 'GET' | 'POST'; body?: URLSearchParams }, fill: Record<string, string>): Promise<void> {
  let current = url;
  let response = await transport({ method: first.method, url, ...(first.body ? { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: first.body.toString() } : {}) });
  for (let step = 0; step < 6; step += 1) {
    const html = response.body.toString('utf8');
    const form = firstForm(html);
    if (response.status >= 400 || !form) {
      if (response.status >= 400) throw new Error(`the simulator's sign-in page refused: ${messageOf(html) || `HTTP ${response.status}`}`);
      return;
    }
    for (const [k, v] of Object.entries(fill)) if (form.fields.has(k) && !form.fields.get(k)) form.fields.set(k, v);
    if (form.firstUser && !form.fields.get('user')) form.fields.set('user', form.firstUser);
    if (form.hasConsent) {
      form.fields.set('consent', 'accept');
      form.fields.set('consent_for_organisation', '1');
    }
    const target = new URL(form.action, current);
    if (target.protocol === 'http:') {
      // The app's loopback listener: plain HTTP on this machine, outside the tenant transport; nowhere else.
      if (!isLoopbackListener(target)) throw new Error(`the simulator's sign-in page posts to ${target.origin}, which is not this machine's loopback listener.`);
      const done = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.fields.toString() });
      await done.text();
      return;
    }
    current = target.toString();
    response = await transport({ method: 'POST', url: current, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.fields.toString() });
  }
  throw new Error('the simulator\'s sign-in pages did not finish in six steps.');
}

/** Enters a device code on the simulator's device-login page and answers what follows. */
export async function approveDeviceCodeOnSimulator(transport: HttpTransport, deviceLoginUrl: string, userCode: string): Promise<void> {
  await walk(transport, deviceLoginUrl, { method: 'GET' }, { code: userCode });
}

/** An `openBrowser` for the simulator: instead of a browser, answers its authorize page over HTTP. */
export function simulatorBrowser(transport: HttpTransport): (url: string) => Promise<void> {
  return (url) => walk(transport, url, { method: 'GET' }, {});
}
