/**
 * The claims challenge header, built by the administrator API and read by the CLI, in the form of
 * https://learn.microsoft.com/entra/identity-platform/claims-challenge#claims-challenge-header-format:
 * the doc's own example reads back, what Elevate builds reads back to the same claims request, and
 * a value that is not a bounded claims request is neither sent nor passed on.
 */
import { describe, expect, it } from 'vitest';
import { checkedClaimsRequest, MAX_CLAIMS_REQUEST_BYTES } from '../../../src/azure/claims-request.ts';
import { claimsChallengeHeader, readClaimsChallenge } from '../../../src/web/api/claims-challenge-header.ts';

const CAPOLIDS = JSON.stringify({ access_token: { capolids: { essential: true, values: ['6d0f8ab1-7c1e-4a43-9a0a-1c2d3e4f5a6b'] } } });
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const AUTHORIZE = `https://login.microsoftonline.com/${TENANT}/oauth2/v2.0/authorize`;
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

describe('building the challenge', () => {
  it("writes Bearer realm, authorization_uri, error and the base64 claims, as Microsoft's example", () => {
    expect(claimsChallengeHeader({ realm: TENANT, authorizationUri: AUTHORIZE, claims: CAPOLIDS })).toBe(
      `Bearer realm="${TENANT}", authorization_uri="${AUTHORIZE}", error="insufficient_claims", claims="${b64(CAPOLIDS)}"`,
    );
    expect(claimsChallengeHeader({ authorizationUri: AUTHORIZE, claims: CAPOLIDS })).toMatch(/^Bearer authorization_uri="[^"]+", error="insufficient_claims", claims="/);
  });

  it('quotes what it did not make (a backslash or a double quote cannot end the quoted string)', () => {
    const header = claimsChallengeHeader({ realm: 'a"b\\c', authorizationUri: AUTHORIZE, claims: CAPOLIDS })!;
    expect(header).toContain('realm="a\\"b\\\\c"');
    expect(readClaimsChallenge(header)).toEqual({ ok: true, claims: CAPOLIDS });
  });

  it('sends nothing for claims that are not a bounded claims request', () => {
    for (const claims of [undefined, '', '{not json', 'null', '[]', '"text"', '{}', '{"access_token":[]}', '{"access_token":null}', '{"evil":{}}', '{"__proto__":{}}', JSON.stringify({ access_token: { x: 'y'.repeat(MAX_CLAIMS_REQUEST_BYTES) } })]) {
      expect(claimsChallengeHeader({ realm: TENANT, authorizationUri: AUTHORIZE, claims }), String(claims)).toBeUndefined();
    }
  });
});

describe('reading the challenge', () => {
  it("reads the doc's example and passes on its claims request", () => {
    const header = 'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", error="insufficient_claims", claims="eyJhY2Nlc3NfdG9rZW4iOnsiYWNycyI6eyJlc3NlbnRpYWwiOnRydWUsInZhbHVlIjoiY3AxIn19fQ=="';
    expect(readClaimsChallenge(header)).toEqual({ ok: true, claims: '{"access_token":{"acrs":{"essential":true,"value":"cp1"}}}' });
  });

  it('finds the Bearer challenge among others, whatever the case of the scheme and parameter names, and takes unquoted values', () => {
    const header = `Basic realm="x", Negotiate abc123==, bearer Realm="${TENANT}", ERROR=insufficient_claims, Claims="${b64(CAPOLIDS)}"`;
    expect(readClaimsChallenge(header)).toEqual({ ok: true, claims: CAPOLIDS });
    expect(readClaimsChallenge(`Basic YWxhZGRpbjpvcGVuc2VzYW1l, Bearer error="insufficient_claims", claims="${b64(CAPOLIDS)}"`)).toEqual({ ok: true, claims: CAPOLIDS });
  });

  it('passes on the claims request as it was checked: re-serialised, so a duplicate member cannot be read two ways', () => {
    const duplicated = '{"access_token":{"acrs":{"value":"c1"}},"access_token":{"acrs":{"value":"c2"}}}';
    expect(readClaimsChallenge(`Bearer error="insufficient_claims", claims="${b64(duplicated)}"`)).toEqual({ ok: true, claims: '{"access_token":{"acrs":{"value":"c2"}}}' });
  });

  it('is not a claims challenge: no header, another error, another scheme', () => {
    for (const header of [undefined, null, '', 'Bearer realm="elevate"', 'Bearer realm="elevate", error="invalid_token"', `Basic error="insufficient_claims", claims="${b64(CAPOLIDS)}"`]) {
      expect(readClaimsChallenge(header), String(header)).toBeUndefined();
    }
  });

  it('refuses to pass on claims that are missing, not base64, too long, not UTF-8, or not a claims request', () => {
    const cases: Array<[string, RegExp]> = [
      ['Bearer error="insufficient_claims"', /no claims/],
      ['Bearer error="insufficient_claims", claims=""', /no claims/],
      ['Bearer error="insufficient_claims", claims="not base64!"', /base64/],
      [`Bearer error="insufficient_claims", claims="${'A'.repeat(8000)}"`, /bounded size/],
      [`Bearer error="insufficient_claims", claims="${Buffer.from([0x7b, 0xff, 0xfe, 0x7d]).toString('base64')}"`, /UTF-8/],
      [`Bearer error="insufficient_claims", claims="${b64('{"access_token":')}"`, /claims request/],
      [`Bearer error="insufficient_claims", claims="${b64('[1,2]')}"`, /claims request/],
      [`Bearer error="insufficient_claims", claims="${b64('{"scope":"https://graph.microsoft.com/.default"}')}"`, /claims request/],
    ];
    for (const [header, problem] of cases) {
      const read = readClaimsChallenge(header);
      expect(read, header.slice(0, 80)).toMatchObject({ ok: false });
      expect((read as { problem: string }).problem, header.slice(0, 80)).toMatch(problem);
    }
  });
});

describe('the claims request check', () => {
  it('takes id_token, userinfo and access_token requests, each an object', () => {
    expect(checkedClaimsRequest('{"id_token":{"auth_time":{"essential":true}},"userinfo":{},"access_token":{"xms_cc":{"values":["cp1"]}}}')).toBe(
      '{"id_token":{"auth_time":{"essential":true}},"userinfo":{},"access_token":{"xms_cc":{"values":["cp1"]}}}',
    );
    expect(checkedClaimsRequest(' {"access_token" : {}} ')).toBe('{"access_token":{}}');
  });
});
