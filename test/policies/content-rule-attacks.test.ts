/**
 * Content rules as an attacker probes them: letter-case and Unicode tricks in property names
 * (ARM reads names case-insensitively), ambiguous duplicates, values of the wrong type, bodies
 * that are not objects, hostile keys, the largest and deepest bodies the API accepts, and rules
 * that fail at run time. Every one is held or refused, never executed.
 */
import { describe, expect, it } from 'vitest';
import { createDecisionDeps } from '../../src/operations/decision-deps.ts';
import { decideOperation } from '../../src/operations/decision-pipeline.ts';
import { LIMITS } from '../../src/operations/operation-schema.ts';
import type { JsonValue, OperationInput } from '../../src/operations/operation-types.ts';
import { validateOperationInput } from '../../src/operations/validate-operation.ts';
import { candidateRules, findContentRules } from '../../src/policies/find-content-rules.ts';
import { foldName } from '../../src/policies/request-facts.ts';
import type { Decision } from '../../src/rbac/rbac-types.ts';
import { makeAgent, policiesWithRunModes, RG_APPS } from '../operations/support/operation-fixtures.ts';
import { parseWith } from './policy-fixtures.ts';

const policies = policiesWithRunModes({ chat: 'Autonomous', incident: 'Autonomous', scheduled: 'Autonomous', manual: 'Autonomous' });
const granted: Decision = { allowed: true, reason: 'granted', message: 'granted', grantedBy: [], deniedBy: [], conditionalGrants: [], wouldBeGrantedBy: [] };
const deps = createDecisionDeps(policies, { check: async () => granted });
const agent = makeAgent({ level: 'Privileged' });
const KV = `${RG_APPS}/providers/Microsoft.KeyVault/vaults/kv-sre`;
const NSG_RULE = `${RG_APPS}/providers/Microsoft.Network/networkSecurityGroups/nsg/securityRules/r`;
const DIAG = `${KV}/providers/Microsoft.Insights/diagnosticSettings/d`;

const op = (method: OperationInput['method'], path: string, body?: JsonValue): OperationInput => ({
  method,
  path,
  apiVersion: '2023-07-01',
  justification: 'x',
  trigger: { kind: 'incident' },
  idempotencyKey: 'k',
  ...(body !== undefined ? { body } : {}),
});
const decide = (input: OperationInput) => decideOperation(input, agent, deps);

describe('property-name tricks', () => {
  it.each([
    ['upper case', 'ENABLERBACAUTHORIZATION'],
    ['mixed case', 'EnableRBACAuthorization'],
    ['dotless i (ı upper-cases to I in .NET)', 'enableRbacAuthorızatıon'],
  ])('forbids enableRbacAuthorization spelt in %s', async (_label, name) => {
    const d = await decide(op('PATCH', KV, { PROPERTIES: { [name]: false } }));
    expect(d).toMatchObject({ outcome: 'forbidden', guardrail: { rule: 'no-key-vault-rbac-off' } });
  });

  it('folds the long s (ſ upper-cases to S) like .NET does', async () => {
    expect(foldName('accessPolicieſ')).toBe('accesspolicies');
    const d = await decide(op('PATCH', KV, { properties: { accessPolicieſ: [{ objectId: 'x' }] } }));
    expect(d).toMatchObject({ outcome: 'forbidden', guardrail: { rule: 'no-key-vault-access-policies-in-body' } });
  });

  it('holds a body that names one property twice in different case (which one would ARM take?)', async () => {
    const d = await decide(op('PATCH', KV, { properties: { enableRbacAuthorization: true, EnableRbacAuthorization: false } }));
    expect(d.outcome).toBe('pending_elevation');
    expect(d.reasonCode).toBe('content_rule');
    const failed = (d.contentRules ?? []).filter((h) => h.failedClosed);
    expect(failed.length).toBeGreaterThan(0);
    expect(failed[0]!.failedClosed).toContain('twice in different letter case');
    // The agent's property name is not echoed back.
    expect(JSON.stringify(d)).not.toContain('EnableRbacAuthorization');
  });

  it('does not let a case-altered path dodge the action index', async () => {
    const d = await decide(op('PATCH', KV.replace('Microsoft.KeyVault/vaults', 'MICROSOFT.KEYVAULT/VAULTS'), { properties: { enableRbacAuthorization: false } }));
    expect(d).toMatchObject({ outcome: 'forbidden', guardrail: { rule: 'no-key-vault-rbac-off' } });
  });
});

describe('value tricks', () => {
  it('treats the string "false" as not true (ARM coerces it to false)', async () => {
    const d = await decide(op('PATCH', KV, { properties: { enableRbacAuthorization: 'false' } }));
    expect(d).toMatchObject({ outcome: 'forbidden', guardrail: { rule: 'no-key-vault-rbac-off' } });
  });

  it('counts a log category as enabled only when enabled is literally true', async () => {
    const d = await decide(op('PUT', DIAG, { properties: { logs: [{ category: 'AuditEvent', enabled: 'true' }] } }));
    expect(d).toMatchObject({ outcome: 'forbidden', guardrail: { rule: 'no-diagnostic-logs-off' } });
  });

  it('treats null (PATCH: back to the default) as switching RBAC off', async () => {
    const d = await decide(op('PATCH', KV, { properties: { enableRbacAuthorization: null } }));
    expect(d).toMatchObject({ outcome: 'forbidden', guardrail: { rule: 'no-key-vault-rbac-off' } });
  });

  it('holds an NSG rule whose port is a number instead of NSG port syntax', async () => {
    const d = await decide(op('PUT', NSG_RULE, { properties: { direction: 'Inbound', access: 'Allow', sourceAddressPrefix: '*', destinationPortRange: 22 } }));
    expect(d.outcome).toBe('pending_elevation');
    expect(d.contentRules?.[0]).toMatchObject({ rule: 'no-nsg-management-ports-open', effect: 'require', elevation: true });
    expect(d.contentRules?.[0]?.failedClosed).toMatch(/could not be evaluated/);
  });

  it('holds access policies sent as an object instead of a list', async () => {
    const d = await decide(op('PATCH', KV, { properties: { accessPolicies: { 0: { objectId: 'x' } } } }));
    expect(d.outcome).toBe('forbidden');
  });
});

describe('bodies that are not what a rule expects', () => {
  it.each([
    ['a list', [{ properties: { enableRbacAuthorization: false } }]],
    ['a string', '{"properties":{"enableRbacAuthorization":false}}'],
    ['a number', 1],
  ] as [string, JsonValue][])('holds a Key Vault write whose body is %s', async (_label, body) => {
    const d = await decide(op('PATCH', KV, body));
    expect(d.outcome).toBe('pending_elevation');
    expect(d.contentRules?.every((h) => h.failedClosed === 'the body is not a JSON object, so what it changes cannot be read')).toBe(true);
  });

  it('reads hostile keys as plain data (no prototype pollution)', async () => {
    const body = JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}},"properties":{"enableRbacAuthorization":true}}') as JsonValue;
    const d = await decide(op('PATCH', KV, body));
    expect(d.outcome).toBe('execute');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('evaluates the largest NSG body the API accepts, and finds the one open rule at its end', async () => {
    const rules: JsonValue[] = [];
    const rule = (i: number, source: string) => ({ name: `r${i}`, properties: { direction: 'Inbound', access: 'Allow', sourceAddressPrefix: source, destinationPortRange: '22', priority: 100 + i } });
    while (JSON.stringify(rules).length < LIMITS.bodyBytes - 2000) rules.push(rule(rules.length, '10.0.0.0/8'));
    rules.push(rule(rules.length, 'Internet'));
    const body = { properties: { securityRules: rules } };
    const input = op('PUT', NSG_RULE.replace(/\/securityRules\/r$/, ''), body);
    expect(validateOperationInput(input, agent).ok).toBe(true);
    expect(await decide(input)).toMatchObject({ outcome: 'forbidden', guardrail: { rule: 'no-nsg-management-ports-open' } });
  });

  it('never sees a body deeper or larger than the API accepts (refused at validation)', () => {
    let deep: JsonValue = {};
    for (let i = 0; i < LIMITS.bodyDepth + 1; i++) deep = { properties: deep };
    expect(validateOperationInput(op('PATCH', KV, deep), agent).ok).toBe(false);
    expect(validateOperationInput(op('PATCH', KV, { tags: { t: 'x'.repeat(LIMITS.bodyBytes) } }), agent).ok).toBe(false);
  });

  it('holds when a rule errors at run time (missing key), never allows or crashes', async () => {
    const strict = parseWith({ 'guardrails.yaml': 'rules:\n  - id: sloppy\n    reason: written without has()\n    actions: [Microsoft.KeyVault/vaults/write]\n    when: body.properties.enablerbacauthorization == false\n' });
    const d = await decideOperation(op('PATCH', KV, { tags: { a: 'b' } }), agent, createDecisionDeps(strict, { check: async () => granted }));
    expect(d.outcome).toBe('pending_elevation');
    expect(d.contentRules).toEqual([
      { rule: 'sloppy', reason: 'written without has()', condition: 'body.properties.enablerbacauthorization == false', effect: 'require', elevation: true, failedClosed: 'the condition could not be evaluated: No such key: properties' },
    ]);
  });

  it('forbids less than nothing: a require rule never loosens a forbidden run mode', async () => {
    const readOnly = makeAgent({ level: 'Privileged', runModeCeiling: 'ReadOnly' });
    const d = await decideOperation(op('PATCH', KV, { properties: { publicNetworkAccess: 'Enabled' } }), readOnly, deps);
    expect(d).toMatchObject({ outcome: 'forbidden', reasonCode: 'run_mode_read_only' });
  });
});

describe('a PATCH whose effect depends on the resource as it is (merged)', () => {
  const ipRule = { properties: { networkAcls: { ipRules: [{ value: '0.0.0.0/0' }] } } };
  const withReader = (read: NonNullable<Parameters<typeof createDecisionDeps>[2]>['readCurrentResource']) => createDecisionDeps(policies, { check: async () => granted }, { readCurrentResource: read });

  it('holds it, saying why, when the resource cannot be read (403, 404, unreachable) or no reader is configured', async () => {
    for (const why of ['ARM answered 403 AuthorizationFailed to the agent\'s read of it', 'ARM answered 404 ResourceNotFound to the agent\'s read of it', 'ARM could not be reached']) {
      const d = await decideOperation(op('PATCH', KV, ipRule), agent, withReader(async () => ({ known: false, why })));
      expect(d).toMatchObject({ outcome: 'pending_elevation', reasonCode: 'content_rule' });
      const hit = d.contentRules!.find((h) => h.rule === 'key-vault-firewall-open-to-internet')!;
      expect(hit.failedClosed).toBe(`the resource as it is could not be read (${why}), so what this PATCH leaves behind is not known`);
      expect(d.explanation).toContain('not evaluable, held for an administrator');
    }
    const none = await decide(op('PATCH', KV, ipRule));
    expect(none.contentRules!.find((h) => h.rule === 'key-vault-firewall-open-to-internet')!.failedClosed).toContain('could not be read (Elevate has no reader for it)');
  });

  it('holds it when the resource as read names one property twice in different case', async () => {
    const d = await decideOperation(op('PATCH', KV, ipRule), agent, withReader(async () => ({ known: true, value: { properties: { publicNetworkAccess: 'Disabled', PublicNetworkAccess: 'Enabled' } } })));
    expect(d.outcome).toBe('pending_elevation');
    expect(d.contentRules![0]!.failedClosed).toContain('twice in different letter case');
  });

  it('merges case-insensitively: a patch spelt in upper case still overrides what the vault has', async () => {
    const reader = withReader(async () => ({ known: true, value: { properties: { publicNetworkAccess: 'Disabled' } } }));
    expect((await decideOperation(op('PATCH', KV, ipRule), agent, reader)).outcome).toBe('execute');
    const turnedOn = await decideOperation(op('PATCH', KV, { PROPERTIES: { PublicNetworkAccess: null, NETWORKACLS: { ipRules: [{ value: '0.0.0.0' }] } } }), agent, reader);
    // null removes publicNetworkAccess, which puts the vault back to its default: public
    expect(turnedOn.outcome).toBe('pending_elevation');
    const hit = turnedOn.contentRules!.find((h) => h.rule === 'key-vault-firewall-open-to-internet');
    expect(hit).toMatchObject({ approvers: 2, elevation: true });
    expect(hit!.failedClosed).toBeUndefined();
  });

  it('reads nothing for a PATCH no merged rule could match, nor for a PUT', async () => {
    let reads = 0;
    const reader = withReader(async () => {
      reads++;
      return { known: false, why: 'x' };
    });
    await decideOperation(op('PATCH', KV, { tags: { a: 'b' } }), agent, reader);
    await decideOperation(op('PATCH', KV, { properties: { enableSoftDelete: true } }), agent, reader);
    await decideOperation(op('PUT', KV, { location: 'westeurope', properties: { enableRbacAuthorization: true, networkAcls: { ipRules: [] } } }), agent, reader);
    expect(reads).toBe(0);
    await decideOperation(op('PATCH', KV, ipRule), agent, reader);
    expect(reads).toBe(1);
  });
});

describe('the fast path', () => {
  it('has no candidate content rule for reads, so a GET never runs CEL', () => {
    for (const action of ['Microsoft.App/containerApps/read', 'Microsoft.KeyVault/vaults/read', 'Microsoft.Compute/virtualMachines/read']) {
      expect(candidateRules(action, policies.guardrails)).toEqual([]);
    }
    expect(findContentRules({ method: 'GET', path: KV, apiVersion: '2023-07-01', actions: ['Microsoft.KeyVault/vaults/read'], agent }, policies)).toEqual([]);
  });

  it('indexes the Key Vault write on the rules that name it (and the every-write identity rules)', () => {
    expect(candidateRules('microsoft.keyvault/VAULTS/write', policies.guardrails).map((r) => r.id)).toEqual([
      'no-key-vault-access-policies-in-body',
      'no-key-vault-rbac-off',
      'key-vault-put-without-rbac-setting',
      'no-soft-delete-or-purge-protection-off',
      'public-network-access-on',
      'key-vault-firewall-open-to-internet',
      'no-foreign-identity-attach',
      'identity-change-needs-elevation',
    ]);
  });
});
