/**
 * The CLI's answer to a relayed claims challenge on its own, with a scripted Elevate: each
 * challenge gets a NEW sign-in passing exactly the claims request it carried (never the earlier
 * token), the loop is bounded even against a server that never stops challenging, and claims it
 * cannot vouch for end the approval with a clear error before any sign-in. The end-to-end run
 * against the sandbox is requests-claims-challenge.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { ApiAnswer } from '../../src/cli/requests/admin-api-client.ts';
import { completeElevation, MAX_CLAIMS_SIGN_INS } from '../../src/cli/requests/elevation-completion.ts';
import { claimsChallengeHeader } from '../../src/web/api/claims-challenge-header.ts';

const CLAIMS = JSON.stringify({ access_token: { capolids: { essential: true, values: ['6d0f8ab1-7c1e-4a43-9a0a-1c2d3e4f5a6b'] } } });
const challenge = (claims: unknown = CLAIMS, header = claimsChallengeHeader({ realm: 't', authorizationUri: 'https://login.example/t/oauth2/v2.0/authorize', claims })): ApiAnswer => ({
  status: 401,
  body: { error: { code: 'insufficient_claims', message: 'Entra asks you to sign in again (AADSTS50076).\u001b[2J' } },
  wwwAuthenticate: header,
});
const executed: ApiAnswer = { status: 200, body: { outcome: 'executed' } };

/** Elevate answering each posted token in turn; records the tokens posted, the sign-ins and what was said. */
function scripted(answers: ApiAnswer[]) {
  const posted: string[] = [];
  const signIns: string[] = [];
  const said: string[] = [];
  return {
    posted,
    signIns,
    said,
    steps: {
      post: async (token: string) => {
        posted.push(token);
        return answers.shift() ?? executed;
      },
      signIn: async (claims: string) => {
        signIns.push(claims);
        return `token-${signIns.length + 1}`;
      },
      say: (line: string) => void said.push(line),
    },
  };
}

describe('completing an elevation from the CLI', () => {
  it('answers a claims challenge with a new sign-in passing its claims, and posts that token', async () => {
    const s = scripted([challenge(), executed]);
    expect(await completeElevation(s.steps, 'token-1')).toBe(executed);
    expect(s.posted).toEqual(['token-1', 'token-2']);
    expect(s.signIns).toEqual([CLAIMS]);
    // Elevate's message is shown, terminal-safe
    expect(s.said).toEqual(['Entra asks for more before Elevate can act for you; nothing ran yet. Entra asks you to sign in again (AADSTS50076).?[2J']);
  });

  it('hands back anything that is not a claims challenge (a refusal, an ordinary 401, a 202) for the caller to report', async () => {
    for (const answer of [
      { status: 409, body: { error: { code: 'interaction_required', message: 'Entra kept asking' } } },
      { status: 401, body: { error: { code: 'invalid_token', message: 'expired' } }, wwwAuthenticate: 'Bearer realm="elevate", error="invalid_token"' },
      { status: 202, body: { outcome: 'fresh_sign_in_required' } },
    ]) {
      const s = scripted([answer]);
      expect(await completeElevation(s.steps, 'token-1')).toBe(answer);
      expect(s.signIns).toEqual([]);
    }
  });

  it(`stops after ${MAX_CLAIMS_SIGN_INS} sign-ins against a server that keeps challenging`, async () => {
    const s = scripted(Array.from({ length: 10 }, () => challenge()));
    await expect(completeElevation(s.steps, 'token-1')).rejects.toMatchObject({
      exitCode: 1,
      message: `Entra still asks for another sign-in after ${MAX_CLAIMS_SIGN_INS} sign-ins with its claims; nothing ran and the request is still pending.`,
    });
    expect(s.signIns).toHaveLength(MAX_CLAIMS_SIGN_INS);
    expect(s.posted).toHaveLength(MAX_CLAIMS_SIGN_INS + 1);
  });

  it('passes on no claims it cannot vouch for: a clear error, no sign-in', async () => {
    const notAClaimsRequest = `Bearer error="insufficient_claims", claims="${Buffer.from('{"scope":"https://graph.microsoft.com/.default"}').toString('base64')}"`;
    for (const header of ['Bearer error="insufficient_claims"', 'Bearer error="insufficient_claims", claims="%%%"', notAClaimsRequest]) {
      const s = scripted([challenge(undefined, header)]);
      await expect(completeElevation(s.steps, 'token-1')).rejects.toMatchObject({ exitCode: 1, message: expect.stringMatching(/^Elevate relayed a claims challenge the CLI will not pass on \(.+\); nothing ran and the request is still pending\.$/) });
      expect(s.signIns).toEqual([]);
    }
  });
});
