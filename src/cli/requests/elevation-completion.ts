/**
 * The last step of `elevate requests approve` for an elevation: post the fresh token to
 * /requests/{id}/approve/elevation, and answer a Conditional Access claims challenge. When Entra
 * refuses the on-behalf-of exchange because the sign-in lacks something (MFA, an authentication
 * context), Elevate opens a new attempt and relays Entra's challenge as the claims-challenge
 * protocol has an API do: 401, `WWW-Authenticate: Bearer ... error="insufficient_claims",
 * claims="<base64>"` (https://learn.microsoft.com/entra/identity-platform/claims-challenge). The
 * CLI then runs a NEW device code sign-in passing those claims to MSAL (never a cached token: it
 * lacks them) and posts that token, which uses up the new attempt. Nothing runs until an exchange
 * works, and Elevate audits every refused one (`approval.obo.failed`, `claimsChallenge: true`).
 * Elevate bounds the sign-ins of one approval itself (MAX_SIGN_IN_ROUNDS, then a 409
 * `interaction_required`); MAX_CLAIMS_SIGN_INS keeps the CLI from following a server that would
 * not. The claims are untrusted on the way in: readClaimsChallenge passes on only a bounded
 * claims request.
 */
import { readClaimsChallenge } from '../../web/api/claims-challenge-header.ts';
import { CliError } from '../cli-output.ts';
import type { ApiAnswer } from './admin-api-client.ts';
import { terminalSafe } from './terminal-safe.ts';

/** Sign-ins the CLI runs for claims challenges of one approval (Elevate allows two: three rounds in all). */
export const MAX_CLAIMS_SIGN_INS = 3;

export interface ElevationCompletionSteps {
  /** a new device code sign-in, passing the claims request Entra asked for */
  signIn(claims: string): Promise<string>;
  /** POST /requests/{id}/approve/elevation with this token */
  post(token: string): Promise<ApiAnswer>;
  say(line: string): void;
}

const STILL_PENDING = 'nothing ran and the request is still pending';

/** Posts `freshToken`, answering claims challenges; returns Elevate's first answer that is not one. */
export async function completeElevation(steps: ElevationCompletionSteps, freshToken: string): Promise<ApiAnswer> {
  let answer = await steps.post(freshToken);
  for (let signIns = 0; answer.status === 401; signIns++) {
    const challenge = readClaimsChallenge(answer.wwwAuthenticate);
    // an ordinary 401 (the token refused) is the caller's to report
    if (!challenge) return answer;
    if (!challenge.ok) throw new CliError(`Elevate relayed a claims challenge the CLI will not pass on (${challenge.problem}); ${STILL_PENDING}.`, 1);
    if (signIns >= MAX_CLAIMS_SIGN_INS) throw new CliError(`Entra still asks for another sign-in after ${MAX_CLAIMS_SIGN_INS} sign-ins with its claims; ${STILL_PENDING}.`, 1);
    const error = answer.body.error as { message?: unknown } | undefined;
    steps.say(`Entra asks for more before Elevate can act for you; nothing ran yet. ${terminalSafe(error?.message)}`);
    answer = await steps.post(await steps.signIn(challenge.claims));
  }
  return answer;
}
