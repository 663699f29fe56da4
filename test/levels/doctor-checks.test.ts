import { describe, expect, it } from 'vitest';
import { runDoctorChecks, type DoctorFinding } from '../../src/levels/doctor-checks.ts';
import type { DoctorFacts } from '../../src/levels/doctor-facts.ts';
import { permitsRoleAssignmentWrites, toAzureError } from '../../src/levels/doctor-gatherer.ts';
import { RG_APPS, RG_OTHER, RG_VMS, SUB, SUB2 } from './level-fixtures.ts';

function healthy(): DoctorFacts {
  return {
    now: '2025-03-01T00:00:00.000Z',
    mode: 'azure',
    agent: { name: 'sre-agent', level: 'Reader', uamiClientId: 'c1', uamiPrincipalId: 'p1', resourceGroupIds: [RG_APPS, RG_VMS] },
    expectedSubscriptions: [SUB],
    managedIdentity: { endpoint: 'http://169.254.169.254', token: { ok: true, value: true } },
    uamiSubscriptions: { ok: true, value: [SUB] },
    groups: [RG_APPS, RG_VMS].map((id) => ({
      resourceGroupId: id,
      roles: { present: ['Reader', 'Log Analytics Reader', 'Monitoring Reader'], missing: [] },
      resourcesVisible: { ok: true, value: 3 },
    })),
    governance: {
      credentialKind: 'secret',
      clientId: 'app-1',
      token: { ok: true, value: true },
      canAssignRoles: [{ scope: `/subscriptions/${SUB}`, result: { ok: true, value: true } }],
      secretExpiry: { known: false, reason: 'not readable' },
    },
    driftMessages: [],
  };
}

const byCheck = (findings: DoctorFinding[], check: string) => findings.filter((f) => f.check === check);

describe('doctor checks', () => {
  it('passes a healthy setup and says plainly what it could not know', () => {
    const r = runDoctorChecks(healthy());
    expect(r.ok).toBe(true);
    expect(r.findings.filter((f) => f.status === 'fail')).toEqual([]);
    expect(byCheck(r.findings, 'monitoring').every((f) => f.status === 'ok' && /metrics .* and logs .* will work/.test(f.summary))).toBe(true);
    expect(byCheck(r.findings, 'secret-expiry')).toEqual([{ check: 'secret-expiry', status: 'unknown', summary: 'client secret expiry not knowable: not readable' }]);
  });

  it('explains AADSTS70021 with the issuer, subject and audience of the federated token', () => {
    const f = healthy();
    f.governance = {
      ...f.governance,
      credentialKind: 'workload-identity',
      token: { ok: false, error: { code: 'invalid_request', message: 'AADSTS70021: No matching federated identity record found for presented assertion.' } },
      federated: { tokenFile: '/var/run/secrets/token', issuer: 'https://oidc.example/abc', subject: 'system:serviceaccount:elevate:elevate', audience: 'api://AzureADTokenExchange' },
      canAssignRoles: [],
    };
    const r = runDoctorChecks(f);
    const g = byCheck(r.findings, 'governance-credential')[0]!;
    expect(r.ok).toBe(false);
    expect(g.status).toBe('fail');
    expect(g.azureError).toContain('AADSTS70021');
    expect(g.cause).toContain("issuer 'https://oidc.example/abc', subject 'system:serviceaccount:elevate:elevate', audience 'api://AzureADTokenExchange'");
    expect(g.fix).toMatch(/federated credential/);
    expect(byCheck(r.findings, 'federated-credential')[0]!.summary).toContain("issuer 'https://oidc.example/abc'");
    // workload identity has no secret to expire
    expect(byCheck(r.findings, 'secret-expiry')).toEqual([]);
  });

  it('reports no subscriptions visible, and fewer than expected', () => {
    const none = healthy();
    none.uamiSubscriptions = { ok: true, value: [] };
    const r1 = byCheck(runDoctorChecks(none).findings, 'subscriptions')[0]!;
    expect(r1).toMatchObject({ status: 'fail', summary: 'the UAMI sees no subscription' });
    expect(r1.fix).toContain('elevate apply');

    const fewer = healthy();
    fewer.expectedSubscriptions = [SUB, SUB2];
    fewer.agent.resourceGroupIds.push(RG_OTHER);
    const r2 = byCheck(runDoctorChecks(fewer).findings, 'subscriptions')[0]!;
    expect(r2.status).toBe('fail');
    expect(r2.summary).toBe(`the UAMI sees 1 subscription(s), fewer than expected: ${SUB2} not visible`);
  });

  it('reports a 403 on a group as AuthorizationFailed with the fix', () => {
    const f = healthy();
    f.groups[0]!.resourcesVisible = { ok: false, error: { status: 403, code: 'AuthorizationFailed', message: "The client 'x' does not have authorization to perform action 'Microsoft.Resources/subscriptions/resources/read'" } };
    const r = byCheck(runDoctorChecks(f).findings, 'resources')[0]!;
    expect(r.status).toBe('fail');
    expect(r.azureError).toBe("AuthorizationFailed (HTTP 403) The client 'x' does not have authorization to perform action 'Microsoft.Resources/subscriptions/resources/read'");
    expect(r.cause).toMatch(/^AuthorizationFailed/);
  });

  it('reports resources visible but metrics or logs not', () => {
    const f = healthy();
    f.groups[1]!.roles = { present: ['Reader'], missing: ['Log Analytics Reader', 'Monitoring Reader'] };
    const r = runDoctorChecks(f);
    const m = byCheck(r.findings, 'monitoring').find((x) => x.status === 'fail')!;
    expect(m.summary).toBe(`${RG_VMS}: resources are visible but metrics and logs will not work`);
    expect(byCheck(r.findings, 'roles').find((x) => x.status === 'fail')!.summary).toBe(`${RG_VMS}: missing Log Analytics Reader, Monitoring Reader for the Reader level`);
  });

  it('reports an unreachable managed identity endpoint and an unknown identity differently', () => {
    const down = healthy();
    down.managedIdentity.token = { ok: false, error: { code: 'CredentialUnavailableError', message: 'ManagedIdentityCredential: connect ECONNREFUSED 169.254.169.254:80' } };
    down.uamiSubscriptions = undefined;
    expect(byCheck(runDoctorChecks(down).findings, 'managed-identity')[0]!.cause).toMatch(/did not answer/);
    const unknown = healthy();
    unknown.managedIdentity.token = { ok: false, error: { status: 400, message: 'Identity not found' } };
    expect(byCheck(runDoctorChecks(unknown).findings, 'managed-identity')[0]!.cause).toMatch(/does not know a user-assigned identity with client id c1/);
  });

  it('reports what Elevate itself may change, and secret expiry within 30 days', () => {
    const f = healthy();
    f.governance.canAssignRoles = [
      { scope: `/subscriptions/${SUB}`, result: { ok: true, value: false } },
      { scope: RG_APPS, result: { ok: false, error: { status: 403, code: 'AuthorizationFailed', message: 'no' } } },
    ];
    f.governance.secretExpiry = { known: true, expiresAt: '2025-03-20T00:00:00.000Z' };
    const r = runDoctorChecks(f);
    const perms = byCheck(r.findings, 'governance-permissions');
    expect(perms[0]).toMatchObject({ status: 'fail' });
    expect(perms[0]!.azureError).toContain("'Microsoft.Authorization/roleAssignments/write'");
    expect(perms[1]).toMatchObject({ status: 'unknown' });
    expect(byCheck(r.findings, 'secret-expiry')[0]).toMatchObject({ status: 'warn', summary: 'the client secret expires in 19 day(s) (2025-03-20T00:00:00.000Z)' });
    f.governance.secretExpiry = { known: true, expiresAt: '2025-02-01T00:00:00.000Z' };
    expect(byCheck(runDoctorChecks(f).findings, 'secret-expiry')[0]!.status).toBe('fail');
  });

  it('warns about an agent with no resource group and about drift', () => {
    const f = healthy();
    f.agent.resourceGroupIds = [];
    f.groups = [];
    f.driftMessages = ['Contributor at /subscriptions/x, not made by Elevate, adds 9 operation(s)'];
    const r = runDoctorChecks(f);
    expect(byCheck(r.findings, 'resource-groups')[0]!.status).toBe('warn');
    expect(byCheck(r.findings, 'drift')[0]!.summary).toContain('Contributor at /subscriptions/x');
  });

  it('reports a plan Elevate could not make in Entra\'s words, and roles as not checked', () => {
    const f = healthy();
    f.planError = { code: 'invalid_client', message: 'AADSTS7000215: Invalid client secret provided.' };
    f.governance.token = { ok: false, error: f.planError };
    for (const g of f.groups) delete g.roles;
    const r = runDoctorChecks(f);
    expect(byCheck(r.findings, 'plan')[0]).toMatchObject({ status: 'fail', cause: 'AADSTS7000215: invalid client secret provided.' });
    expect(byCheck(r.findings, 'roles').every((x) => x.status === 'unknown')).toBe(true);
    expect(byCheck(r.findings, 'governance-credential')[0]!.fix).toMatch(/AZURE_CLIENT_SECRET/);
  });
});

describe('doctor gatherer helpers', () => {
  it('reads role-assignment write permission from the permissions API shape', () => {
    expect(permitsRoleAssignmentWrites([{ actions: ['*/read', 'Microsoft.Authorization/*'], notActions: [] }])).toBe(true);
    expect(permitsRoleAssignmentWrites([{ actions: ['*'], notActions: ['Microsoft.Authorization/*/Write', 'Microsoft.Authorization/*/Delete'] }])).toBe(false);
    expect(permitsRoleAssignmentWrites([{ actions: ['*/read'] }])).toBe(false);
    expect(permitsRoleAssignmentWrites([null, 'x', { actions: 'nope' }])).toBe(false);
  });

  it('turns identity errors into code and first line, AADSTS kept', () => {
    const err = Object.assign(new Error('ignored'), { name: 'AuthenticationError', errorResponse: { error: 'invalid_client', errorDescription: 'AADSTS7000215: Invalid client secret provided.\nTrace ID: x' } });
    expect(toAzureError(err)).toEqual({ code: 'invalid_client', message: 'AADSTS7000215: Invalid client secret provided.' });
  });
});

describe('doctor: do sign-ins carry auth_time (an optional claim in Entra)?', () => {
  const withSignIns = (examined: number, withAuthTime: number) => ({ ...healthy(), signIns: { examined, withAuthTime, latestAt: '2025-02-28T23:00:00.000Z' } });

  it('says ok when every recent sign-in carried it', () => {
    expect(byCheck(runDoctorChecks(withSignIns(4, 4)).findings, 'sign-in-auth-time')).toMatchObject([{ status: 'ok', summary: expect.stringMatching(/carried auth_time/) }]);
  });

  it('warns, never fails, when none did, and names the optional claim to add', () => {
    const r = runDoctorChecks(withSignIns(3, 0));
    expect(r.ok).toBe(true);
    expect(byCheck(r.findings, 'sign-in-auth-time')).toMatchObject([{ status: 'warn', fix: expect.stringMatching(/Token configuration > Add optional claim > ID > auth_time/) }]);
  });

  it('warns on a mix, and is unknown before anyone signed in; silent when the audit log was not read', () => {
    expect(byCheck(runDoctorChecks(withSignIns(5, 2)).findings, 'sign-in-auth-time')[0]).toMatchObject({ status: 'warn', summary: expect.stringMatching(/^2 of the last 5/) });
    expect(byCheck(runDoctorChecks(withSignIns(0, 0)).findings, 'sign-in-auth-time')[0]?.status).toBe('unknown');
    expect(byCheck(runDoctorChecks(healthy()).findings, 'sign-in-auth-time')).toEqual([]);
  });

  it('reports the Microsoft Graph application permissions Elevate holds, and what each missing one costs', () => {
    const f = healthy();
    f.governance = { ...f.governance, graphPermissions: { ok: true, value: ['GroupMember.Read.All', 'User.Read.All'] } };
    expect(byCheck(runDoctorChecks(f).findings, 'graph-permissions').map((x) => x.status)).toEqual(['ok', 'ok']);

    f.governance = { ...f.governance, graphPermissions: { ok: true, value: ['Directory.Read.All'] } };
    expect(byCheck(runDoctorChecks(f).findings, 'graph-permissions').map((x) => x.status)).toEqual(['ok', 'ok']);

    f.governance = { ...f.governance, graphPermissions: { ok: true, value: [] } };
    const r = runDoctorChecks(f);
    const g = byCheck(r.findings, 'graph-permissions');
    // stricter, never laxer: warnings, and the report still passes
    expect(r.ok).toBe(true);
    expect(g.map((x) => x.status)).toEqual(['warn', 'warn']);
    expect(g[0]!.summary).toContain('User.Read.All');
    expect(g[0]!.cause).toContain('one more administrator');
    expect(g[1]!.summary).toContain('GroupMember.Read.All');
    expect(g[1]!.cause).toContain('fail closed');
    expect(g[1]!.fix).toContain('Grant admin consent');

    f.governance = { ...f.governance, graphPermissions: { ok: false, error: { code: 'invalid_client', message: 'AADSTS7000215: Invalid client secret provided.' } } };
    expect(byCheck(runDoctorChecks(f).findings, 'graph-permissions')[0]).toMatchObject({ status: 'warn', azureError: expect.stringContaining('AADSTS7000215') });

    // no Graph token asked for (no ARM token): nothing said
    delete f.governance.graphPermissions;
    expect(byCheck(runDoctorChecks(f).findings, 'graph-permissions')).toEqual([]);
  });
});
