import { sandboxInfo } from './sandbox-context.ts';

/**
 * Drives the sandbox's /authorize and sign-in page the way a browser does (GET, pick an account,
 * form POST, follow to the app's redirect URI), with a cookie jar for the SSO session.
 */

export class CookieJar {
  private readonly cookies = new Map<string, string>();

  store(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*expires=Thu, 01 Jan 1970/i.test(a)) || attrs.some((a) => /^\s*max-age=0\s*$/i.test(a)) || value === '';
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  get size(): number {
    return this.cookies.size;
  }
}

export interface AuthorizeOutcome {
  /** true when the sign-in page was shown (false: completed silently from the SSO session, or failed) */
  pageShown: boolean;
  /** the page HTML when it was shown */
  pageHtml?: string;
  /** where the browser ended up: the app's redirect URI with code or error */
  redirect?: URL;
  code?: string;
  state?: string;
  error?: string;
  errorDescription?: string;
  /** status and text of an error page (nothing redirected) */
  errorPage?: { status: number; text: string };
  /** response_mode=form_post: the fields posted to the app */
  formPost?: { action: string; fields: Record<string, string> };
}

const decode = (s: string) => s.replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n))).replace(/&amp;/g, '&');

function readRedirect(location: string, out: AuthorizeOutcome): AuthorizeOutcome {
  const url = new URL(location);
  out.redirect = url;
  const p = url.searchParams;
  if (p.get('code')) out.code = p.get('code')!;
  if (p.get('state') !== null) out.state = p.get('state')!;
  if (p.get('error')) out.error = p.get('error')!;
  if (p.get('error_description')) out.errorDescription = p.get('error_description')!;
  return out;
}

function readFormPost(html: string, out: AuthorizeOutcome): AuthorizeOutcome {
  const action = decode(/<form method="post" action="([^"]*)"/.exec(html)![1]!);
  const fields: Record<string, string> = {};
  for (const m of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) fields[decode(m[1]!)] = decode(m[2]!);
  out.formPost = { action, fields };
  if (fields.code) out.code = fields.code;
  if (fields.state !== undefined) out.state = fields.state;
  if (fields.error) out.error = fields.error;
  return out;
}

async function settle(res: Response, jar: CookieJar, out: AuthorizeOutcome): Promise<AuthorizeOutcome> {
  jar.store(res);
  if (res.status === 302) return readRedirect(res.headers.get('location')!, out);
  const text = await res.text();
  if (res.status !== 200) {
    out.errorPage = { status: res.status, text };
    return out;
  }
  if (text.includes('name="flow"')) {
    out.pageShown = true;
    out.pageHtml = text;
    return out;
  }
  return readFormPost(text, out);
}

/**
 * Opens an authorize URL. When the sign-in page shows and `user` is given (a seeded user's key,
 * UPN or object id), picks that account; `cancel` presses Cancel instead.
 */
export async function completeAuthorize(authorizeUrl: string, opts: { user?: string; cancel?: boolean; jar?: CookieJar } = {}): Promise<AuthorizeOutcome> {
  const jar = opts.jar ?? new CookieJar();
  const first = await fetch(authorizeUrl, { redirect: 'manual', headers: { cookie: jar.header() } });
  const out = await settle(first, jar, { pageShown: false });
  if (!out.pageShown || (!opts.user && !opts.cancel)) return out;

  const html = out.pageHtml!;
  const flow = /name="flow" value="([^"]+)"/.exec(html)![1]!;
  const action = decode(/<form method="post" action="([^"]+)"/.exec(html)![1]!);
  const body = new URLSearchParams({ flow: decode(flow) });
  if (opts.cancel) body.set('cancel', '1');
  else {
    const wanted = opts.user!.toLowerCase();
    const user = sandboxInfo().tenant.users.find((u) => u.key === wanted || u.upn.toLowerCase() === wanted || u.oid === wanted);
    if (!user) throw new Error(`no sandbox user ${opts.user}`);
    body.set('user', user.oid);
  }
  const posted = await fetch(action, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: jar.header() },
    body,
  });
  const done = await settle(posted, jar, { pageShown: true, pageHtml: html });
  return done;
}
