import type { Request, Response } from 'express';
import type { CompletedSignIn } from './complete-sign-in.ts';

/**
 * What happens after a bound sign-in. The approval pages register a continuation under a kind
 * (say `approval`) and start sign-ins with `boundTo: { kind: 'approval', requestId }`; the
 * callback then hands the continuation the completed sign-in, including the delegated token for
 * Elevate's API when one was requested. The token is valid for that call only: a continuation
 * must use it (the on-behalf-of exchange) before it returns and must not keep it.
 */
export type SignInContinuation = (req: Request, res: Response, signIn: CompletedSignIn) => Promise<void>;

export class SignInContinuations {
  readonly #byKind = new Map<string, SignInContinuation>();

  register(kind: string, continuation: SignInContinuation): void {
    if (!/^[a-z][a-z0-9-]{0,39}$/.test(kind)) throw new Error(`sign-in continuation kind must be lower-case letters, digits and -, got ${JSON.stringify(kind)}`);
    if (this.#byKind.has(kind)) throw new Error(`sign-in continuation ${kind} is already registered`);
    this.#byKind.set(kind, continuation);
  }

  get(kind: string): SignInContinuation | undefined {
    return this.#byKind.get(kind);
  }
}

/**
 * For a continuation: true when the completed sign-in was started for exactly this request and
 * the user entered credentials during it, no longer than `maxAgeSeconds` ago (by `auth_time`, or
 * without it by the start of the prompt=login flow; see authentication-evidence.ts).
 */
export function isFreshSignInFor(
  signIn: CompletedSignIn,
  binding: { kind: string; requestId: string },
  maxAgeSeconds: number,
  nowSeconds: number,
): boolean {
  return (
    signIn.boundTo?.kind === binding.kind &&
    signIn.boundTo.requestId === binding.requestId &&
    signIn.promptedLogin &&
    signIn.authenticatedDuringFlow &&
    signIn.authenticatedAt !== null &&
    nowSeconds - signIn.authenticatedAt <= maxAgeSeconds
  );
}
