/** A bad content rule stops the start-up, named by its id, with the CEL error. */
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPolicies } from '../../src/policies/load-policies.ts';
import { builtinCatalog, parseWith, POLICIES_DIR, policyErrorLines } from './policy-fixtures.ts';

const rule = (extra: string) => `rules:\n  - id: my-rule\n    reason: test\n    actions: [Microsoft.KeyVault/vaults/write]\n${extra}`;
const lines = (extra: string) => policyErrorLines(() => parseWith({ 'guardrails.yaml': rule(extra) }));

describe('content rules at policy load', () => {
  const bad: [label: string, yaml: string, expected: string][] = [
    ['a syntax error', '    when: "body.properties ==" \n', "policies/guardrails.yaml: rules[0].when: rule 'my-rule': not a valid CEL condition: Unexpected token: EOF"],
    ['an unknown variable', '    when: "request.body == 1"\n', "policies/guardrails.yaml: rules[0].when: rule 'my-rule': not a valid CEL condition: Unknown variable: request"],
    ['a type error', '    when: "method == 1"\n', "policies/guardrails.yaml: rules[0].when: rule 'my-rule': not a valid CEL condition: no such overload: string == int"],
    ['a non-boolean condition', '    when: "size(body)"\n', "policies/guardrails.yaml: rules[0].when: rule 'my-rule': a condition must be true or false; this one is of type int"],
    [
      'an upper-case body property (would never match)',
      '    when: "has(body.properties.enableRbacAuthorization)"\n',
      "policies/guardrails.yaml: rules[0].when: rule 'my-rule': body property 'enableRbacAuthorization' has upper-case letters; body property names are lower-cased before evaluation (ARM reads them case-insensitively), so write 'enablerbacauthorization'",
    ],
    [
      'an upper-case property of merged',
      '    when: "merged.?properties.?PublicNetworkAccess.orValue(\'x\') == \'Enabled\'"\n',
      "policies/guardrails.yaml: rules[0].when: rule 'my-rule': merged property 'PublicNetworkAccess' has upper-case letters; merged property names are lower-cased before evaluation (ARM reads them case-insensitively), so write 'publicnetworkaccess'",
    ],
    [
      'a method compared in lower case (method is upper case: would never match)',
      '    when: "method == \'put\'"\n',
      "policies/guardrails.yaml: rules[0].when: rule 'my-rule': method is compared with 'put', but method is upper case (PUT, PATCH, POST, DELETE, GET), so this never matches: write 'PUT'",
    ],
    [
      'a method in a list with one in lower case',
      '    when: "method in [\'PUT\', \'patch\']"\n',
      "policies/guardrails.yaml: rules[0].when: rule 'my-rule': method is compared with 'patch', but method is upper case (PUT, PATCH, POST, DELETE, GET), so this never matches: write 'PATCH'",
    ],
    [
      'an action compared with upper-case letters (action is lower-cased)',
      '    when: "\'Microsoft.KeyVault/vaults/write\' != action"\n',
      "policies/guardrails.yaml: rules[0].when: rule 'my-rule': action is compared with 'Microsoft.KeyVault/vaults/write', but action is lower-cased, so this never matches: write 'microsoft.keyvault/vaults/write'",
    ],
    [
      'a resource type compared with upper-case letters (resource.type is lower-cased)',
      '    when: "resource.type == \'Microsoft.KeyVault/vaults\'"\n',
      "policies/guardrails.yaml: rules[0].when: rule 'my-rule': resource.type is compared with 'Microsoft.KeyVault/vaults', but resource.type is lower-cased, so this never matches: write 'microsoft.keyvault/vaults'",
    ],
    [
      'comprehensions nested three deep',
      '    when: "body.a.exists(x, x.b.exists(y, y.c.exists(z, z == 1)))"\n',
      "policies/guardrails.yaml: rules[0].when: rule 'my-rule': comprehensions (all, exists, map, filter) nest 3 deep; at most 2 are allowed so evaluation stays bounded",
    ],
    ['approvers: 1 (loosens nothing, tightens nothing)', '    require:\n      approvers: 1\n', 'policies/guardrails.yaml: rules[0].require.approvers: expected at least 2 approvers (1 is what every held request already needs) (line 7)'],
    ['an unknown requirement', '    require: owner\n', "policies/guardrails.yaml: rules[0].require: expected 'elevation' or a mapping with elevation: true and/or approvers: N (line 6)"],
    ['a link off learn.microsoft.com', '    link: https://example.com/risk\n', "policies/guardrails.yaml: rules[0].link: expected a https://learn.microsoft.com/ link, got 'https://example.com/risk' (line 6)"],
  ];

  it.each(bad)('refuses %s', (_label, yaml, expected) => {
    const got = lines(yaml);
    expect(got).toHaveLength(1);
    // Position suffixes (line N) are the loader's; compare the message itself.
    expect(got[0]!.replace(/ \(line \d+\)$/, '')).toBe(expected.replace(/ \(line \d+\)$/, ''));
  });

  it('stops loading the policies folder, naming the rule and the CEL error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'elevate-celguard-'));
    cpSync(POLICIES_DIR, dir, { recursive: true });
    writeFileSync(join(dir, 'guardrails.yaml'), rule('    when: "body.properties.x >"\n'));
    expect(() => loadPolicies(dir, builtinCatalog())).toThrow(/guardrails\.yaml: rules\[0\]\.when: rule 'my-rule': not a valid CEL condition/);
  });

  it('loads a rule with a condition and a requirement', () => {
    const p = parseWith({ 'guardrails.yaml': rule('    link: https://learn.microsoft.com/en-us/azure/key-vault/general/security-features\n    when: has(body.tags)\n    require:\n      elevation: true\n      approvers: 3\n') });
    expect(p.guardrails.rules[0]).toEqual({
      id: 'my-rule',
      reason: 'test',
      actions: ['Microsoft.KeyVault/vaults/write'],
      dataActions: [],
      link: 'https://learn.microsoft.com/en-us/azure/key-vault/general/security-features',
      when: 'has(body.tags)',
      effect: { kind: 'require', elevation: true, approvers: 3 },
    });
  });
});
