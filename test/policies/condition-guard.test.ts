/**
 * The content-rule guard: which conjuncts it keeps, and that ruling a rule out by it never gives
 * a weaker answer than evaluating the rule (every shipped rule, a corpus of hostile bodies).
 */
import { describe, expect, it } from 'vitest';
import { Environment } from '@marcbachmann/cel-js';
import { compileCondition } from '../../src/policies/content-condition.ts';
import { BodyShape, conditionGuard, guardRulesOut } from '../../src/policies/condition-guard.ts';
import { requestFacts } from '../../src/policies/request-facts.ts';
import { RG_APPS } from '../operations/support/operation-fixtures.ts';
import { shippedPolicies } from './policy-fixtures.ts';

const guardOf = (source: string) => compileCondition(source).guard;

describe('conditionGuard', () => {
  it('keeps has(body.<path>) and method == "X" conjuncts of the && chain', () => {
    expect(guardOf('has(body.properties) && has(body.identity) && method == "PUT"')).toEqual({ method: 'PUT', bodyPaths: [['properties'], ['identity']] });
    expect(guardOf('"PATCH" == method && has(body.properties)')).toEqual({ method: 'PATCH', bodyPaths: [['properties']] });
  });

  it('keeps a nested path only when every shorter path is guarded too (a missing parent is an error, not false)', () => {
    expect(guardOf('has(body.properties) && has(body.properties.networkacls) && has(body.properties.networkacls.iprules)')).toEqual({
      bodyPaths: [['properties'], ['properties', 'networkacls'], ['properties', 'networkacls', 'iprules']],
    });
    expect(guardOf('has(body.properties.accesspolicies)')).toBeUndefined();
    expect(guardOf('has(body.properties) && has(body.properties.a.b)')).toEqual({ bodyPaths: [['properties']] });
  });

  it('keeps nothing a false value of which would not make the whole condition false', () => {
    expect(guardOf('has(body.properties) || method == "PUT"')).toBeUndefined();
    expect(guardOf('!has(body.properties)')).toBeUndefined();
    expect(guardOf('method != "PUT"')).toBeUndefined();
    expect(guardOf('has(body.properties) ? true : method == "PUT"')).toBeUndefined();
    expect(guardOf('has(merged.properties)')).toBeUndefined();
  });

  it('keeps the conjuncts of a chain whose other members it cannot decide', () => {
    expect(guardOf('has(body.identity) && type(body.identity) == map && body.identity.x == 1')).toEqual({ bodyPaths: [['identity']] });
  });

  it('works on any AST the CEL library gives, and refuses what is not one', () => {
    expect(conditionGuard(undefined)).toBeUndefined();
    expect(conditionGuard(new Environment().registerVariable('body', 'map').parse('has(body.a)').ast)).toEqual({ bodyPaths: [['a']] });
  });
});

describe('guardRulesOut', () => {
  const guard = { method: 'PUT', bodyPaths: [['properties'], ['properties', 'networkacls']] };
  it('rules out another method, a missing body and a body without the property', () => {
    expect(guardRulesOut(guard, 'PATCH', new BodyShape({ properties: { networkAcls: {} } }))).toBe(true);
    expect(guardRulesOut(guard, 'put', new BodyShape(undefined))).toBe(true);
    expect(guardRulesOut(guard, 'PUT', new BodyShape({ tags: {} }))).toBe(true);
    expect(guardRulesOut(guard, 'PUT', new BodyShape({ properties: { publicNetworkAccess: 'Enabled' } }))).toBe(true);
    expect(guardRulesOut(guard, 'PUT', new BodyShape({ properties: { networkAcls: null } }))).toBe(false);
  });
  it('folds property names as ARM does, so no spelling slips past', () => {
    expect(guardRulesOut(guard, 'PUT', new BodyShape({ PROPERTIES: { NetworkACLs: {} } }))).toBe(false);
    expect(guardRulesOut(guard, 'PUT', new BodyShape({ propertieſ: { networkacls: {} } }))).toBe(false);
  });
  it('never rules out through what is not a plain object, or a name spelt twice', () => {
    for (const body of [[], 'properties', 42, null, true, { properties: [] }, { properties: 'x' }]) expect(guardRulesOut(guard, 'PUT', new BodyShape(body))).toBe(false);
    expect(guardRulesOut(guard, 'PUT', new BodyShape({ properties: { a: 1 }, Properties: { networkAcls: {} } }))).toBe(false);
  });
});

describe('the guard agrees with evaluation for every shipped rule', () => {
  const rules = shippedPolicies().guardrails.rules.filter((r) => r.when !== undefined);
  const PATH = `${RG_APPS}/providers/Microsoft.KeyVault/vaults/kv-sre`;
  const bodies: unknown[] = [
    undefined,
    {},
    { tags: { team: 'sre' } },
    { tags: { a: 1, A: 2 } },
    { Tags: {}, tags: {} },
    { identity: null },
    { IDENTITY: { type: 'None' } },
    { properties: {} },
    { properties: { accessPolicies: [] } },
    { PROPERTIES: { enableRbacAuthorization: false }, identity: { type: 'SystemAssigned' } },
    { properties: { networkAcls: { defaultAction: 'Allow' } } },
    { properties: { logs: [{ enabled: false }] } },
    { properties: null },
    { properties: { networkAcls: { ipRules: [{ value: '0.0.0.0/0' }] } } },
    { properties: { NetworkAcls: {}, networkacls: {} } },
    { properties: 'x' },
    { location: 'westeurope' },
    [],
    'x',
  ];
  const methods = ['PUT', 'PATCH', 'POST', 'DELETE'];
  it('whenever the guard rules a rule out, evaluating it says false (or the body is unreadable elsewhere)', () => {
    let ruledOut = 0;
    for (const rule of rules) {
      const condition = compileCondition(rule.when!);
      if (!condition.guard) continue;
      for (const method of methods)
        for (const body of bodies) {
          if (!guardRulesOut(condition.guard, method, new BodyShape(body))) continue;
          ruledOut++;
          const { facts, bodyProblem } = requestFacts({ method, path: PATH, apiVersion: '2023-07-01', body, action: 'microsoft.keyvault/vaults/write', agent: { id: 'a', resourceGroupIds: [RG_APPS] } });
          // An unreadable body is held by every rule that could match it. Ruled out here are only
          // a rule for another method, and a body ambiguous below a top-level property the rule
          // requires and the body does not have: false whichever spelling ARM would take.
          if (bodyProblem) {
            const otherMethod = condition.guard.method !== undefined && condition.guard.method !== method;
            if (!otherMethod) expect(bodyProblem).toMatch(/twice in different letter case/);
            continue;
          }
          expect(condition.evaluate(facts), `${rule.id} ${method} ${JSON.stringify(body)}`).toBe(false);
        }
    }
    expect(ruledOut).toBeGreaterThan(100);
  });
});
