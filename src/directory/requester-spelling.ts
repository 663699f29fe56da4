/**
 * What an agent-supplied `requestedBy` can name, after normalisation (pure). The agent writes it
 * as it likes ("Ada Admin", "ada.admin", "mailto:ADA.ADMIN@contoso.com.", an object id), so the
 * text is only ever a key to look up in the directory; two spellings of one person must end up at
 * one object id, and a spelling that does not must never count as "someone else".
 */

export type RequesterSpelling =
  | { kind: 'objectId'; value: string }
  /** user@domain: a userPrincipalName, a mail address or an alias (otherMails, proxyAddresses). */
  | { kind: 'login'; value: string }
  /** anything else: a display name or a bare alias, resolvable only when exactly one user has it */
  | { kind: 'name'; value: string }
  | { kind: 'empty' };

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const LOGIN = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
/** Invisible characters a copy-paste carries along (zero-width spaces and joiners, BOM, soft hyphen). */
const INVISIBLE = /[\u00AD\u200B-\u200F\u2060\uFEFF]/g;

/**
 * Trim, drop invisible characters, strip a `mailto:`/`smtp:` prefix, angle brackets and quotes
 * around an address, trailing dots (a DNS root dot: `contoso.com.`), and fold case (NFKC, lower).
 */
export function normaliseRequester(raw: string): string {
  let s = raw.normalize('NFKC').replace(INVISIBLE, '').trim();
  // "Ada Admin <ada@contoso.com>": the address is what identifies.
  const angle = /<([^<>]+)>\s*$/.exec(s);
  if (angle) s = angle[1]!;
  s = s.replace(/^["']+|["']+$/g, '').trim();
  s = s.replace(/^(mailto|smtp|sip):/i, '');
  s = s.replace(/[.\s]+$/, '').replace(/^\s+/, '');
  return s.replace(/\s+/g, ' ').toLowerCase();
}

export function classifyRequester(raw: string): RequesterSpelling {
  const value = normaliseRequester(raw);
  if (value === '') return { kind: 'empty' };
  const guid = value.replace(/^\{|\}$/g, '');
  if (GUID.test(guid)) return { kind: 'objectId', value: guid };
  if (LOGIN.test(value)) return { kind: 'login', value };
  return { kind: 'name', value };
}
