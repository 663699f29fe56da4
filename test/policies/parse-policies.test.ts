import { describe, expect, it } from 'vitest';
import { parsePolicies } from '../../src/policies/parse-policies.ts';
import { POLICY_FILES } from '../../src/policies/policies.ts';
import { builtinCatalog, parseWith, policyErrorLines, shippedPolicies, shippedTexts } from './policy-fixtures.ts';

const LEVELS_OK = `levels:
  Reader:
    description: read
  Privileged:
    description: operate
preconfiguredRoles:
  resourceGroup: [Reader]
  subscription: [Monitoring Contributor]
resourceTypes:
  Microsoft.App/containerApps:
    Reader: []
    Privileged: [Container Apps Contributor]
`;

const RUN_MODES_OK = `triggers:
  chat: Review
  incident: Review
  scheduled: ReadOnly
  manual: Review
`;

const APPROVALS_OK = `elevation:
  requesterMayApprove: false
  approversRequired: 1
consent:
  requesterMayApprove: true
  approversRequired: 1
`;

describe('the shipped policies folder', () => {
  it('validates every file against the real built-in role catalog', () => {
    const p = shippedPolicies();
    expect(Object.keys(p).sort()).toEqual(['approvals', 'guardrails', 'levels', 'notifications', 'rateLimits', 'runModes', 'serviceRoles']);
    expect(p.levels.preconfiguredRoles).toEqual({
      resourceGroup: ['Reader', 'Log Analytics Reader', 'Monitoring Reader'],
      subscription: ['Monitoring Contributor'],
    });
    expect(p.runModes.triggers).toEqual({ chat: 'Review', incident: 'Review', scheduled: 'ReadOnly', manual: 'Review' });
    expect(p.approvals).toEqual({
      elevation: { requesterMayApprove: false, approversRequired: 1 },
      consent: { requesterMayApprove: true, approversRequired: 1 },
      levelRaise: { requesterMayApprove: false, approversRequired: 1, maxDurationMinutes: 480 },
    });
    expect(p.serviceRoles.roles.map((r) => [r.id, r.appRole, r.principalType])).toEqual([
      ['administrator', 'SREAgent.Administrator', 'user'],
      ['standardUser', 'SREAgent.StandardUser', 'user'],
      ['reader', 'SREAgent.Reader', 'user'],
      ['auditor', 'SREAgent.Auditor', 'user'],
      ['auditReader', 'Audit.Read', 'app'],
    ]);
    expect(p.guardrails.rules.map((r) => r.id)).toContain('no-authorization-writes');
  });

  it('covers the resource types the agent operates, with a Privileged role for each', () => {
    const p = shippedPolicies();
    const byType = new Map(p.levels.resourceTypes.map((t) => [t.resourceType, t.roles]));
    expect(byType.get('Microsoft.App/containerApps')).toEqual({ Reader: [], Privileged: ['Container Apps Contributor'] });
    expect(byType.get('Microsoft.App/managedEnvironments')?.Privileged).toEqual(['Container Apps ManagedEnvironments Contributor']);
    expect(byType.get('Microsoft.Compute/virtualMachines')?.Privileged).toEqual(['Virtual Machine Contributor']);
    expect(byType.get('Microsoft.Compute/virtualMachineScaleSets')?.Privileged).toEqual(['Virtual Machine Contributor']);
    expect(byType.get('Microsoft.ContainerService/managedClusters')?.Privileged).toEqual(['Azure Kubernetes Service Contributor Role']);
    expect(byType.get('Microsoft.Web/sites')?.Privileged).toEqual(['Website Contributor']);
    expect(byType.get('Microsoft.Storage/storageAccounts')?.Privileged).toEqual(['Storage Account Contributor']);
    expect(byType.get('Microsoft.Sql/servers')?.Privileged).toEqual(['SQL Server Contributor']);
    expect(byType.get('Microsoft.Sql/servers/databases')?.Privileged).toEqual(['SQL DB Contributor']);
    expect(byType.get('Microsoft.KeyVault/vaults')).toEqual({ Reader: ['Key Vault Reader'], Privileged: ['Key Vault Contributor'] });
  });

  it('is deeply frozen, so no caller can loosen it at run time', () => {
    const p = shippedPolicies();
    expect(() => {
      (p.guardrails.rules as unknown[]).pop();
    }).toThrow(TypeError);
    expect(() => {
      (p.runModes.triggers as Record<string, string>).scheduled = 'Autonomous';
    }).toThrow(TypeError);
    expect(p.runModes.triggers.scheduled).toBe('ReadOnly');
  });

  it('rejects the shipped levels when the catalog lacks a role it names', () => {
    const texts = shippedTexts();
    const lines = policyErrorLines(() => parsePolicies(texts, { hasRole: (n) => n !== 'Key Vault Reader' }));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^policies\/levels\.yaml: resourceTypes\.Microsoft\.KeyVault\/vaults\.Reader\[0\]: role 'Key Vault Reader' is not in the role catalog \(line \d+\)$/,
    );
  });
});

/** Each case: one file replaced by `text`; exactly `expected` comes back, one line. */
const malformed: { name: string; file: (typeof POLICY_FILES)[keyof typeof POLICY_FILES]; text: string; expected: string }[] = [
  {
    name: 'levels: unknown top-level key',
    file: 'levels.yaml',
    text: `${LEVELS_OK}resourceTypez: {}\n`,
    expected: "policies/levels.yaml: resourceTypez: unknown key 'resourceTypez'; expected levels, preconfiguredRoles or resourceTypes (line 13)",
  },
  {
    name: 'levels: wrong type (a string where a list is expected)',
    file: 'levels.yaml',
    text: LEVELS_OK.replace('subscription: [Monitoring Contributor]', 'subscription: Monitoring Contributor'),
    expected: "policies/levels.yaml: preconfiguredRoles.subscription: expected a list of role names, got 'Monitoring Contributor' (line 8)",
  },
  {
    name: 'levels: unknown level name',
    file: 'levels.yaml',
    text: LEVELS_OK.replace('    Reader: []\n', '    Admin: [Owner]\n'),
    expected:
      "policies/levels.yaml: resourceTypes.Microsoft.App/containerApps.Admin: unknown permission level 'Admin'; expected Reader or Privileged (line 11)",
  },
  {
    name: 'levels: role not in the catalog (typo)',
    file: 'levels.yaml',
    text: LEVELS_OK.replace('[Container Apps Contributor]', '[Container Apps Contributer]'),
    expected:
      "policies/levels.yaml: resourceTypes.Microsoft.App/containerApps.Privileged[0]: role 'Container Apps Contributer' is not in the role catalog (line 12)",
  },
  {
    name: 'levels: preconfigured role not in the catalog',
    file: 'levels.yaml',
    text: LEVELS_OK.replace('resourceGroup: [Reader]', 'resourceGroup: [Readers]'),
    expected: "policies/levels.yaml: preconfiguredRoles.resourceGroup[0]: role 'Readers' is not in the role catalog (line 7)",
  },
  {
    name: 'levels: resource type that is not Namespace/type',
    file: 'levels.yaml',
    text: LEVELS_OK.replace('Microsoft.App/containerApps:', 'containerApps:'),
    expected: "policies/levels.yaml: resourceTypes.containerApps: expected a resource type such as Microsoft.App/containerApps, got 'containerApps' (line 10)",
  },
  {
    name: 'levels: the same resource type twice in different case',
    file: 'levels.yaml',
    text: `${LEVELS_OK}  microsoft.app/containerapps:\n    Privileged: [Container Apps Contributor]\n`,
    expected:
      "policies/levels.yaml: resourceTypes.microsoft.app/containerapps: resource type is already listed as 'Microsoft.App/containerApps' (resource types are case-insensitive) (line 13)",
  },
  {
    name: 'levels: a level left out',
    file: 'levels.yaml',
    text: LEVELS_OK.replace('  Privileged:\n    description: operate\n', ''),
    expected: 'policies/levels.yaml: levels.Privileged: missing; expected a mapping with description (line 1)',
  },
  {
    name: 'levels: empty file',
    file: 'levels.yaml',
    text: '',
    expected: 'policies/levels.yaml: expected a mapping with levels, preconfiguredRoles or resourceTypes, got null',
  },
  {
    name: 'levels: YAML syntax (duplicate key)',
    file: 'levels.yaml',
    text: LEVELS_OK.replace('preconfiguredRoles:', 'levels: {}\npreconfiguredRoles:'),
    expected: 'policies/levels.yaml: invalid YAML: Map keys must be unique (line 6)',
  },
  {
    name: 'guardrails: bad action pattern (space)',
    file: 'guardrails.yaml',
    text: 'rules:\n  - id: x\n    reason: because\n    actions: [Microsoft Authorization/*/write]\n',
    expected:
      "policies/guardrails.yaml: rules[0].actions[0]: expected an action pattern such as Microsoft.Authorization/*/write (Namespace/type/operation, * as wildcard, no spaces), got 'Microsoft Authorization/*/write' (line 4)",
  },
  {
    name: 'guardrails: pattern without a provider segment',
    file: 'guardrails.yaml',
    text: 'rules:\n  - id: x\n    reason: because\n    dataActions: [getSecret]\n',
    expected:
      "policies/guardrails.yaml: rules[0].dataActions[0]: expected an action pattern such as Microsoft.Authorization/*/write (Namespace/type/operation, * as wildcard, no spaces), got 'getSecret' (line 4)",
  },
  {
    name: 'guardrails: a rule with no patterns',
    file: 'guardrails.yaml',
    text: 'rules:\n  - id: x\n    reason: because\n',
    expected: 'policies/guardrails.yaml: rules[0]: expected at least one pattern under actions or dataActions (line 2)',
  },
  {
    name: 'guardrails: duplicate rule id',
    file: 'guardrails.yaml',
    text: 'rules:\n  - id: x\n    reason: a\n    actions: [A.B/c]\n  - id: x\n    reason: b\n    actions: [A.B/d]\n',
    expected: "policies/guardrails.yaml: rules[1].id: rule id 'x' is used twice (line 5)",
  },
  {
    name: 'guardrails: missing reason',
    file: 'guardrails.yaml',
    text: 'rules:\n  - id: x\n    actions: [A.B/c]\n',
    expected: 'policies/guardrails.yaml: rules[0].reason: missing; expected a reason an approver can read (line 2)',
  },
  {
    name: 'guardrails: unknown key in a rule (misspelt dataActions)',
    file: 'guardrails.yaml',
    text: 'rules:\n  - id: x\n    reason: a\n    actions: [A.B/c]\n    dataAction: [A.B/d]\n',
    expected: "policies/guardrails.yaml: rules[0].dataAction: unknown key 'dataAction'; expected id, reason, link, actions, dataActions, when or require (line 5)",
  },
  {
    name: 'run-modes: unknown trigger kind',
    file: 'run-modes.yaml',
    text: `${RUN_MODES_OK}  pager: Autonomous\n`,
    expected: "policies/run-modes.yaml: triggers.pager: unknown trigger kind 'pager'; expected chat, incident, scheduled or manual (line 6)",
  },
  {
    name: 'run-modes: unknown run mode',
    file: 'run-modes.yaml',
    text: RUN_MODES_OK.replace('chat: Review', 'chat: Yolo'),
    expected: "policies/run-modes.yaml: triggers.chat: expected a run mode: ReadOnly, Review or Autonomous, got 'Yolo' (line 2)",
  },
  {
    name: 'run-modes: a trigger kind left out',
    file: 'run-modes.yaml',
    text: RUN_MODES_OK.replace('  scheduled: ReadOnly\n', ''),
    expected: 'policies/run-modes.yaml: triggers.scheduled: missing; expected a run mode: ReadOnly, Review or Autonomous (line 1)',
  },
  {
    name: 'approvals: wrong type (a string for a number)',
    file: 'approvals.yaml',
    text: APPROVALS_OK.replace('approversRequired: 1\nconsent', 'approversRequired: two\nconsent'),
    expected: "policies/approvals.yaml: elevation.approversRequired: expected a whole number of approvers, got 'two' (line 3)",
  },
  {
    name: 'approvals: YAML 1.1 "no" is not a boolean',
    file: 'approvals.yaml',
    text: APPROVALS_OK.replace('requesterMayApprove: false', 'requesterMayApprove: no'),
    expected: "policies/approvals.yaml: elevation.requesterMayApprove: expected true or false, got 'no' (line 2)",
  },
  {
    name: 'approvals: zero approvers',
    file: 'approvals.yaml',
    text: APPROVALS_OK.replace('approversRequired: 1\nconsent', 'approversRequired: 0\nconsent'),
    expected: 'policies/approvals.yaml: elevation.approversRequired: expected at least 1 approver (line 3)',
  },
  {
    name: 'approvals: request expiry does not belong here (it is config)',
    file: 'approvals.yaml',
    text: `${APPROVALS_OK}expirySeconds: 3600\n`,
    expected: "policies/approvals.yaml: expirySeconds: unknown key 'expirySeconds'; expected elevation, consent or levelRaise (line 7)",
  },
  {
    name: 'approvals: a level raise cap beyond what PIM allows (180 days)',
    file: 'approvals.yaml',
    text: `${APPROVALS_OK}levelRaise:\n  requesterMayApprove: false\n  approversRequired: 1\n  maxDurationMinutes: 300000\n`,
    expected: 'policies/approvals.yaml: levelRaise.maxDurationMinutes: expected at most 259200 minutes (180 days) (line 10)',
  },
];

describe('a malformed policy file', () => {
  it.each(malformed)('$name', ({ file, text, expected }) => {
    const lines = policyErrorLines(() => parseWith({ [file]: text }));
    expect(lines).toEqual([expected]);
  });

  it('reports a missing file by name', () => {
    expect(policyErrorLines(() => parseWith({ 'run-modes.yaml': undefined }))).toEqual([
      'policies/run-modes.yaml: file not found; expected it in the policies folder',
    ]);
  });

  it('reports every fault in every file, one line each', () => {
    const lines = policyErrorLines(() =>
      parseWith({
        'run-modes.yaml': RUN_MODES_OK.replace('chat: Review', 'chat: Yolo').replace('manual: Review', 'manual: Nope'),
        'approvals.yaml': APPROVALS_OK.replace('approversRequired: 1\nconsent', 'approversRequired: 0\nconsent'),
      }),
    );
    expect(lines).toEqual([
      "policies/run-modes.yaml: triggers.chat: expected a run mode: ReadOnly, Review or Autonomous, got 'Yolo' (line 2)",
      "policies/run-modes.yaml: triggers.manual: expected a run mode: ReadOnly, Review or Autonomous, got 'Nope' (line 5)",
      'policies/approvals.yaml: elevation.approversRequired: expected at least 1 approver (line 3)',
    ]);
  });

  it('keeps a hostile value on one line and short', () => {
    const lines = policyErrorLines(() =>
      parseWith({ 'run-modes.yaml': RUN_MODES_OK.replace('chat: Review', `chat: "Review\\nINJECTED ${'x'.repeat(500)}"`) }),
    );
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("got 'Review\\nINJECTED xxxx");
    expect(lines[0]!.length).toBeLessThan(200);
  });

  it('rejects YAML tags it does not know instead of running them', () => {
    const lines = policyErrorLines(() => parseWith({ 'run-modes.yaml': 'triggers: !!js/function "function(){}"\n' }));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^policies\/run-modes\.yaml: /);
  });

  it('refuses an alias bomb', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 0; i < 8; i++) {
      const prev = String.fromCharCode(97 + i);
      const cur = String.fromCharCode(98 + i);
      bomb.push(`${cur}: &${cur} [${Array(10).fill(`*${prev}`).join(', ')}]`);
    }
    const lines = policyErrorLines(() => parseWith({ 'run-modes.yaml': `${bomb.join('\n')}\n` }));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^policies\/run-modes\.yaml: invalid YAML: /);
  });

  it('rejects a second YAML document', () => {
    const lines = policyErrorLines(() => parseWith({ 'run-modes.yaml': `${RUN_MODES_OK}---\ntriggers: {}\n` }));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^policies\/run-modes\.yaml: invalid YAML: .*\(line 6\)$/);
  });

  it('names the folder it was given', () => {
    const texts = shippedTexts();
    const lines = policyErrorLines(() =>
      parsePolicies({ ...texts, 'run-modes.yaml': RUN_MODES_OK.replace('chat: Review', 'chat: Yolo') }, builtinCatalog(), '/etc/elevate/policies/'),
    );
    expect(lines[0]).toMatch(/^\/etc\/elevate\/policies\/run-modes\.yaml: triggers\.chat: /);
  });
});
