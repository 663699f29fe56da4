/**
 * Records every token that reaches this process over fetch (openid-client, MSAL and the test's own
 * IMDS calls all use fetch): access, ID and refresh tokens from token-endpoint answers. A leak scan
 * then looks for these exact values, not only for JWT-shaped text, so an opaque refresh token
 * cannot slip through.
 */
export interface TokenTap {
  tokens(): { kind: string; value: string }[];
  restore(): void;
}

const TOKEN_FIELDS = ['access_token', 'id_token', 'refresh_token'] as const;

export function installTokenTap(): TokenTap {
  const original = globalThis.fetch;
  const seen = new Map<string, string>();
  globalThis.fetch = async (input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) => {
    const res = await original(input, init);
    if ((res.headers.get('content-type') ?? '').includes('json')) {
      try {
        const body = (await res.clone().json()) as Record<string, unknown>;
        if (body && typeof body === 'object') {
          for (const f of TOKEN_FIELDS) if (typeof body[f] === 'string' && body[f] !== '') seen.set(body[f], f);
        }
      } catch {
        // not JSON after all
      }
    }
    return res;
  };
  return {
    tokens: () => [...seen].map(([value, kind]) => ({ kind, value })),
    restore: () => {
      globalThis.fetch = original;
    },
  };
}

/** JWT-shaped text: two base64url JSON objects ("eyJ") and a signature. */
export const JWT_SHAPE = /eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
/** Entra's opaque refresh tokens start 0.A / 1.A followed by a long base64url run. */
export const ENTRA_REFRESH_TOKEN_SHAPE = /\b[01]\.A[A-Za-z0-9_-]{40,}/g;

/** Everything in `text` that is, or looks like, a token. */
export function findTokens(text: string, known: readonly { kind: string; value: string }[]): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(JWT_SHAPE)) found.push(`jwt-shaped: ${m[0].slice(0, 24)}…`);
  for (const m of text.matchAll(ENTRA_REFRESH_TOKEN_SHAPE)) found.push(`refresh-token-shaped: ${m[0].slice(0, 12)}…`);
  for (const t of known) {
    if (text.includes(t.value)) found.push(`${t.kind} seen in the wild: ${t.value.slice(0, 12)}…`);
    // A JWT's signature alone is unique to it too.
    const signature = t.value.split('.')[2];
    if (signature && signature.length >= 32 && text.includes(signature)) found.push(`${t.kind} signature: ${signature.slice(0, 12)}…`);
  }
  return found;
}
