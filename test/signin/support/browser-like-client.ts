/**
 * A scripted browser for integration tests: fetch with a cookie jar that behaves like a browser's
 * (cookies are per host, not per port; Path and Max-Age honoured), redirects followed by hand so
 * each hop can be inspected or tampered with.
 */

interface StoredCookie {
  host: string;
  name: string;
  value: string;
  path: string;
  expiresAt: number | undefined;
}

export interface Hop {
  status: number;
  url: string;
  location: string | undefined;
  body: string;
  headers: Headers;
}

export class BrowserLikeClient {
  readonly #cookies: StoredCookie[] = [];

  /** One request, no redirect following. */
  async request(url: string, init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<Hop> {
    const target = new URL(url);
    const headers = new Headers(init.headers);
    const cookie = this.cookieHeader(target);
    if (cookie) headers.set('cookie', cookie);
    let body: string | undefined;
    if (init.form) {
      headers.set('content-type', 'application/x-www-form-urlencoded');
      body = new URLSearchParams(init.form).toString();
    }
    const response = await fetch(target, { method: init.method ?? (body ? 'POST' : 'GET'), headers, body, redirect: 'manual' });
    for (const setCookie of response.headers.getSetCookie()) this.store(target, setCookie);
    const location = response.headers.get('location') ?? undefined;
    return {
      status: response.status,
      url: target.href,
      location: location ? new URL(location, target).href : undefined,
      body: await response.text(),
      headers: response.headers,
    };
  }

  get(url: string): Promise<Hop> {
    return this.request(url);
  }

  post(url: string, form: Record<string, string>, headers?: Record<string, string>): Promise<Hop> {
    return this.request(url, { method: 'POST', form, ...(headers ? { headers } : {}) });
  }

  /** Follows redirects (GET) until a non-redirect answer, returning every hop. */
  async follow(first: Hop, max = 10): Promise<Hop[]> {
    const hops = [first];
    let current = first;
    while (current.location && current.status >= 300 && current.status < 400) {
      if (hops.length > max) throw new Error(`more than ${max} redirects from ${first.url}`);
      current = await this.get(current.location);
      hops.push(current);
    }
    return hops;
  }

  cookie(host: string, name: string): string | undefined {
    return this.live().find((c) => c.host === host && c.name === name)?.value;
  }

  setCookie(host: string, name: string, value: string): void {
    this.#cookies.splice(0, this.#cookies.length, ...this.#cookies.filter((c) => !(c.host === host && c.name === name)));
    this.#cookies.push({ host, name, value, path: '/', expiresAt: undefined });
  }

  private live(): StoredCookie[] {
    const now = Date.now();
    return this.#cookies.filter((c) => c.expiresAt === undefined || c.expiresAt > now);
  }

  private cookieHeader(url: URL): string {
    return this.live()
      .filter((c) => c.host === url.hostname && url.pathname.startsWith(c.path))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  private store(url: URL, header: string): void {
    const [pair, ...attributes] = header.split(';');
    const eq = pair!.indexOf('=');
    const name = pair!.slice(0, eq).trim();
    const value = pair!.slice(eq + 1).trim();
    let path = '/';
    let expiresAt: number | undefined;
    for (const attribute of attributes) {
      const [key, val = ''] = attribute.split('=');
      const k = key!.trim().toLowerCase();
      if (k === 'path') path = val.trim() || '/';
      if (k === 'max-age') expiresAt = Date.now() + Number(val) * 1000;
      if (k === 'expires' && expiresAt === undefined) expiresAt = Date.parse(val);
    }
    const rest = this.#cookies.filter((c) => !(c.host === url.hostname && c.name === name && c.path === path));
    this.#cookies.splice(0, this.#cookies.length, ...rest);
    if (expiresAt === undefined || expiresAt > Date.now()) this.#cookies.push({ host: url.hostname, name, value, path, expiresAt });
  }
}

/** The hidden `flow` value and form action of the sandbox's sign-in page. */
export function parseSandboxSignInPage(html: string): { action: string; flow: string; users: string[] } {
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
  const flow = /name="flow" value="([^"]+)"/.exec(html)?.[1];
  if (!action || !flow) throw new Error(`not the sandbox sign-in page: ${html.slice(0, 200)}`);
  const users = [...html.matchAll(/name="user" value="([^"]+)"/g)].map((m) => unescapeHtml(m[1]!));
  return { action: unescapeHtml(action), flow: unescapeHtml(flow), users };
}

function unescapeHtml(value: string): string {
  return value.replace(/&#(\d+);/g, (_m, code: string) => String.fromCharCode(Number(code))).replace(/&amp;/g, '&');
}
