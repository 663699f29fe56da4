/**
 * Who `trigger.requestedBy` is, fixed when the request is created: a directory object id, or
 * "unresolved" with the reason. The approval logic compares object ids only; an unresolved
 * requester makes the four-eyes rule stricter (one more distinct approver), never weaker.
 */
import { classifyRequester } from './requester-spelling.ts';

export type UnresolvedReason =
  /** no user has this object id, sign-in name, mail or alias */
  | 'not_found'
  /** a display name or bare alias more than one user has (or none) */
  | 'ambiguous'
  /** a display name (or other text) the directory cannot pin to one person */
  | 'not_an_identity'
  /** the directory did not answer (unreachable, throttled, no permission) */
  | 'directory_unavailable';

export type RequesterIdentity = { status: 'resolved'; objectId: string } | { status: 'unresolved'; reason: UnresolvedReason };

export const UNRESOLVED_MESSAGES: Record<UnresolvedReason, string> = {
  not_found: 'no user in the directory has this name, address or object id',
  ambiguous: 'more than one user in the directory matches it',
  not_an_identity: 'it is not a sign-in name, e-mail address or object id, and no single user has it as their name',
  directory_unavailable: 'the directory could not be asked when the request was made',
};

/** A user the directory found: only the object id matters. */
export interface DirectoryUserRef {
  id: string;
}

/** The directory look-ups resolution needs (Microsoft Graph in production, the sandbox's Graph in tests). */
export interface UserDirectory {
  /** GET /users/{id | userPrincipalName}; undefined when there is no such user. */
  byIdOrUpn(idOrUpn: string): Promise<DirectoryUserRef | undefined>;
  /** Users whose mail, otherMails or proxyAddresses hold this address. */
  byAddress(address: string): Promise<DirectoryUserRef[]>;
  /** Users with exactly this display name or mail nickname (alias), case-insensitively. */
  byName(name: string): Promise<DirectoryUserRef[]>;
}

const one = (users: DirectoryUserRef[]): RequesterIdentity =>
  users.length === 1 ? { status: 'resolved', objectId: users[0]!.id.toLowerCase() } : { status: 'unresolved', reason: users.length === 0 ? 'not_found' : 'ambiguous' };

/**
 * Resolves a spelling to one object id. Any failure to ask is `directory_unavailable` (stricter),
 * never an answer of "not the approver".
 */
export async function resolveRequester(requestedBy: string, directory: UserDirectory): Promise<RequesterIdentity> {
  const spelling = classifyRequester(requestedBy);
  try {
    switch (spelling.kind) {
      case 'empty':
        return { status: 'unresolved', reason: 'not_an_identity' };
      case 'objectId': {
        const user = await directory.byIdOrUpn(spelling.value);
        return user ? { status: 'resolved', objectId: user.id.toLowerCase() } : { status: 'unresolved', reason: 'not_found' };
      }
      case 'login': {
        const user = await directory.byIdOrUpn(spelling.value);
        if (user) return { status: 'resolved', objectId: user.id.toLowerCase() };
        return one(dedupe(await directory.byAddress(spelling.value)));
      }
      case 'name': {
        const users = dedupe(await directory.byName(spelling.value));
        if (users.length === 1) return one(users);
        return { status: 'unresolved', reason: users.length === 0 ? 'not_an_identity' : 'ambiguous' };
      }
    }
  } catch {
    return { status: 'unresolved', reason: 'directory_unavailable' };
  }
}

function dedupe(users: DirectoryUserRef[]): DirectoryUserRef[] {
  const seen = new Map<string, DirectoryUserRef>();
  for (const u of users) seen.set(u.id.toLowerCase(), u);
  return [...seen.values()];
}
