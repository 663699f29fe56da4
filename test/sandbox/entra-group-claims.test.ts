import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxHandle } from '../../src/sandbox/start-sandbox.ts';
import { completeAuthorize } from '../support/browser-sign-in.ts';
import { deviceCodeToken } from '../support/device-code-token.ts';
import { startPrivateSandbox } from '../support/private-sandbox.ts';
import { generatedGroupId, withElevateGroupMembershipClaims, withGroup, withManyGroups } from '../support/seed-group-variants.ts';
import { seedFile, withElevateAccessTokenVersion, type Seed } from '../support/seed-variants.ts';
import { decodeClaims } from '../support/token-forge.ts';

/**
 * The `groups` claim as Entra issues it, per app registration (groupMembershipClaims): none by
 * default, the user's (security) groups when a tenant admin turns it on, and the overage
 * indicator instead of the list beyond 200 groups, in ID tokens (the client's registration) and
 * in access tokens for the tenant's own API (the resource's registration), v1 and v2 alike.
 * https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference
 * https://learn.microsoft.com/entra/identity-platform/id-token-claims-reference#groups-overage-claim
 *
 * `standard` is the default seed's member of SRE On-Call; the variants add a Microsoft 365 group
 * for `standard`, exactly 200 groups for `norole` and 201 for `reader`.
 */
const SRE_ONCALL = '2b65dfa2-bf0b-4974-9aa4-4f4d0714072b';
const M365_GROUP = 'a3e1c4f2-6b7d-4e18-9c2a-5f0d8e7b1a64';
const ARM_SCOPE = 'https://management.azure.com/user_impersonation';

function groupsSeed(setting: string | null, extra: (seed: Seed) => void = () => undefined): string {
  return seedFile((seed) => {
    withElevateGroupMembershipClaims(seed, setting);
    withGroup(seed, { key: 'sre-chat', id: M365_GROUP, displayName: 'SRE chat (Microsoft 365)', members: ['standard'], securityEnabled: false });
    withManyGroups(seed, 'norole', 200);
    withManyGroups(seed, 'reader', 201);
    extra(seed);
  });
}

/** ID token and access token of an authorization code sign-in to Elevate. */
async function signIn(sandbox: SandboxHandle, user: string, resourceScope = sandbox.tenant.elevateApp.delegatedScope) {
  const app = sandbox.tenant.elevateApp;
  const config = await oidc.discovery(new URL(`${sandbox.origin}/${sandbox.tenant.tenantId}/v2.0`), app.clientId, app.clientSecret);
  const verifier = oidc.randomPKCECodeVerifier();
  const nonce = oidc.randomNonce();
  const url = new URL(config.serverMetadata().authorization_endpoint!);
  const params = {
    client_id: app.clientId, response_type: 'code', redirect_uri: 'http://127.0.0.1:3000/auth/callback', scope: `openid profile ${resourceScope}`,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', nonce,
  };
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  const outcome = await completeAuthorize(url.href, { user });
  const tokens = await oidc.authorizationCodeGrant(config, outcome.redirect!, { pkceCodeVerifier: verifier, expectedNonce: nonce });
  return { id: tokens.claims()! as Record<string, unknown>, access: decodeClaims(tokens.access_token) };
}

const oidOf = (sandbox: SandboxHandle, key: string) => sandbox.tenant.users.find((u) => u.key === key)!.oid;
const noGroupClaims = (claims: Record<string, unknown>) => {
  expect(claims).not.toHaveProperty('groups');
  expect(claims).not.toHaveProperty('_claim_names');
  expect(claims).not.toHaveProperty('_claim_sources');
  expect(claims).not.toHaveProperty('hasgroups');
};

describe('a registration as Entra creates it (groupMembershipClaims null)', () => {
  let sandbox: SandboxHandle;
  beforeAll(async () => {
    sandbox = await startPrivateSandbox({ seedFile: groupsSeed(null), deviceCode: { lifetimeSeconds: 900, intervalSeconds: 1 } });
  });
  afterAll(async () => {
    await sandbox?.close();
  });

  it('sends no groups claim and no overage indicator, whatever groups the user is in', async () => {
    for (const user of ['standard', 'reader']) {
      const { id, access } = await signIn(sandbox, user);
      noGroupClaims(id);
      noGroupClaims(access);
    }
    noGroupClaims(decodeClaims(await deviceCodeToken(sandbox, 'standard')));
  });

  it('is the default seed: the elevate registration says null', async () => {
    const { loadSeed } = await import('../../src/sandbox/seed/load-seed.ts');
    expect(loadSeed().applications.find((a) => a.key === 'elevate')!.groupMembershipClaims).toBeNull();
    expect(loadSeed().applications.every((a) => a.groupMembershipClaims === null)).toBe(true);
  });
});

describe('groupMembershipClaims "SecurityGroup" on Elevate (v1 access tokens, the default)', () => {
  let sandbox: SandboxHandle;
  beforeAll(async () => {
    sandbox = await startPrivateSandbox({ seedFile: groupsSeed('SecurityGroup'), deviceCode: { lifetimeSeconds: 900, intervalSeconds: 1 } });
  });
  afterAll(async () => {
    await sandbox?.close();
  });

  it("lists the user's security groups (not Microsoft 365 groups) in the ID token and in the access token for Elevate's API", async () => {
    const { id, access } = await signIn(sandbox, 'standard');
    expect(id.groups).toEqual([SRE_ONCALL]);
    expect(access).toMatchObject({ ver: '1.0', groups: [SRE_ONCALL] });
    expect(id).not.toHaveProperty('_claim_names');
  });

  it("follows the resource's registration in access tokens: the CLI's own (null) does not matter, ARM's tokens carry none", async () => {
    expect(decodeClaims(await deviceCodeToken(sandbox, 'standard')).groups).toEqual([SRE_ONCALL]);
    const arm = await signIn(sandbox, 'standard', ARM_SCOPE);
    expect(arm.access.aud).toBe('https://management.azure.com/');
    noGroupClaims(arm.access);
    // the ID token is still Elevate's, the client's
    expect(arm.id.groups).toEqual([SRE_ONCALL]);
  });

  it('sends no claim to a user in no group', async () => {
    const { id, access } = await signIn(sandbox, 'admin');
    noGroupClaims(id);
    noGroupClaims(access);
  });

  it('lists exactly 200 groups', async () => {
    const { id, access } = await signIn(sandbox, 'norole');
    expect(id.groups).toHaveLength(200);
    expect(access.groups).toHaveLength(200);
  });

  it('replaces the list with the overage indicator beyond 200, in ID and access tokens', async () => {
    const tid = sandbox.tenant.tenantId;
    const oid = oidOf(sandbox, 'reader');
    const overage = {
      _claim_names: { groups: 'src1' },
      _claim_sources: { src1: { endpoint: `https://graph.windows.net/${tid}/users/${oid}/getMemberObjects` } },
    };
    const { id, access } = await signIn(sandbox, 'reader');
    for (const claims of [id, access, decodeClaims(await deviceCodeToken(sandbox, 'reader'))]) {
      expect(claims).toMatchObject(overage);
      expect(claims).not.toHaveProperty('groups');
      expect(claims).not.toHaveProperty('hasgroups');
    }
  });
});

describe('v2 access tokens, "All" and "ApplicationGroup"', () => {
  const started: SandboxHandle[] = [];
  afterAll(async () => {
    await Promise.all(started.map((s) => s.close()));
  });
  const start = async (setting: string, extra?: (seed: Seed) => void) => {
    const s = await startPrivateSandbox({ seedFile: groupsSeed(setting, (seed) => (withElevateAccessTokenVersion(seed, 2), extra?.(seed))) });
    started.push(s);
    return s;
  };

  it('"All" lists Microsoft 365 groups too, and the overage has the same shape in a v2 token', async () => {
    const sandbox = await start('All');
    const { access } = await signIn(sandbox, 'standard');
    expect(access.ver).toBe('2.0');
    expect([...(access.groups as string[])].sort()).toEqual([SRE_ONCALL, M365_GROUP].sort());
    const reader = await signIn(sandbox, 'reader');
    expect(reader.access).toMatchObject({ ver: '2.0', _claim_names: { groups: 'src1' } });
    expect((reader.access._claim_sources as { src1: { endpoint: string } }).src1.endpoint).toBe(`https://graph.windows.net/${sandbox.tenant.tenantId}/users/${oidOf(sandbox, 'reader')}/getMemberObjects`);
    expect(reader.access).not.toHaveProperty('groups');
  });

  it('"ApplicationGroup" lists only the groups assigned to the application, so a user in 201 groups gets a list', async () => {
    const sandbox = await start('ApplicationGroup', (seed) => {
      seed.appRoleAssignments.push({ principal: 'group:reader-g7', resource: 'elevate', role: 'SREAgent.Reader' });
    });
    const { id, access } = await signIn(sandbox, 'reader');
    const groupId = generatedGroupId('reader', 7);
    expect(id.groups).toEqual([groupId]);
    expect(access.groups).toEqual([groupId]);
    // standard's groups are not assigned to Elevate
    noGroupClaims((await signIn(sandbox, 'standard')).id);
  });
});
