/**
 * Redirect URI matching as Entra does it: exact, except that for loopback hosts (localhost,
 * 127.0.0.1, [::1]) the port is ignored, so a local app may listen on any port.
 */
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

function parse(uri: string): URL | undefined {
  try {
    const u = new URL(uri);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u : undefined;
  } catch {
    return undefined;
  }
}

export function isRegisteredUri(requested: string, registered: readonly string[]): boolean {
  const r = parse(requested);
  if (!r || r.hash || r.username || r.password) return false;
  return registered.some((reg) => {
    const g = parse(reg);
    if (!g) return false;
    if (r.protocol !== g.protocol || r.hostname.toLowerCase() !== g.hostname.toLowerCase()) return false;
    if (r.pathname !== g.pathname || r.search !== g.search) return false;
    return LOOPBACK.has(r.hostname.toLowerCase()) || r.port === g.port;
  });
}

/** Appends parameters to a redirect URI, keeping the query it already has. */
export function withQuery(uri: string, params: Record<string, string | undefined>): string {
  const u = new URL(uri);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) u.searchParams.append(k, v);
  return u.toString();
}
