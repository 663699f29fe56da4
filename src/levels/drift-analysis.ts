import type { AuthorizationState, CheckRequest, Decision, RoleAssignment, RoleDefinition } from '../rbac/rbac-types.ts';
import { operationKind, type CandidateOperation } from './candidate-operations.ts';
import type { ActualAssignment, AddedOperations, DesiredAssignment, DriftFinding, OperationKind } from './level-types.ts';

/** The foundation's evaluator, passed in so this stays a pure function over data. */
export type EvaluatorFactory = (state: AuthorizationState) => { check(req: CheckRequest): Decision };

export interface DriftInput {
  principalId: string;
  desired: DesiredAssignment[];
  /** Assignments Elevate did not make that reach the UAMI (directly or through a group). */
  foreign: ActualAssignment[];
  roles: RoleDefinition[];
  /** Groups the UAMI is a member of. */
  groupIds: string[];
  hierarchy: Record<string, string[]>;
  /** Each managed scope with the operations to measure there. */
  scopes: Array<{ scope: string; candidates: CandidateOperation[] }>;
  /**
   * The operations to measure at a scope strictly below a managed resource group (a resource),
   * or undefined for any other scope. An assignment there does not apply at the group, so it is
   * measured at its own scope as well.
   */
  candidatesBelow: (scope: string) => CandidateOperation[] | undefined;
  createEvaluator: EvaluatorFactory;
  roleNameOf: (roleDefinitionId: string) => string;
}

/**
 * For each assignment Elevate did not make: the operations at the managed scopes (and, for one
 * made on a resource inside a managed group, at that resource) that it grants and the level's own
 * (desired) assignments do not. Each assignment is measured against the desired set alone, so two
 * hand-made assignments that overlap are both reported.
 */
export function analyzeDrift(input: DriftInput): DriftFinding[] {
  const { principalId, roles, groupIds, hierarchy, createEvaluator } = input;
  const base: RoleAssignment[] = input.desired.map((d) => ({
    id: `desired:${d.name}`,
    scope: d.scope,
    roleDefinitionId: d.roleDefinitionId,
    principalId: d.principalId,
  }));
  const groups = { [principalId]: groupIds };
  const stateWith = (assignments: RoleAssignment[]): AuthorizationState => ({ roles, assignments, denyAssignments: [], groups, hierarchy });
  const allowed = (evaluator: ReturnType<EvaluatorFactory>, scope: string, op: CandidateOperation) =>
    evaluator.check({ principalId, action: op.name, scope, dataAction: op.dataAction }).allowed;

  const baseline = createEvaluator(stateWith(base));
  const baselineAllowed = new Map<string, Set<string>>();
  const allowedByBaseline = (scope: string, candidates: CandidateOperation[]) =>
    new Set(candidates.filter((op) => allowed(baseline, scope, op)).map(opKey));
  for (const { scope, candidates } of input.scopes) baselineAllowed.set(scope, allowedByBaseline(scope, candidates));
  // Resources hand-made assignments sit on, measured once each (keyed case-insensitively).
  const below = new Map<string, { candidates: CandidateOperation[]; before: Set<string> } | undefined>();
  const belowAt = (scope: string) => {
    const key = scope.toLowerCase();
    if (!below.has(key)) {
      const candidates = input.candidatesBelow(scope);
      below.set(key, candidates ? { candidates, before: allowedByBaseline(scope, candidates) } : undefined);
    }
    return below.get(key);
  };

  const findings: DriftFinding[] = [];
  for (const a of input.foreign) {
    // A condition Elevate cannot evaluate is counted as if it were met: drift errs towards reporting.
    const measured: RoleAssignment = { ...a, condition: null, conditionVersion: null };
    const evaluator = createEvaluator(stateWith([...base, measured]));
    const added = new Map<string, CandidateOperation>();
    const affected: string[] = [];
    const measure = (scope: string, candidates: CandidateOperation[], before: Set<string>) => {
      let any = false;
      for (const op of candidates) {
        if (before.has(opKey(op)) || !allowed(evaluator, scope, op)) continue;
        added.set(opKey(op), op);
        any = true;
      }
      if (any) affected.push(scope);
    };
    for (const { scope, candidates } of input.scopes) measure(scope, candidates, baselineAllowed.get(scope)!);
    // Azure RBAC applies an assignment at its scope and below, never above
    // (https://learn.microsoft.com/azure/role-based-access-control/scope-overview): Owner on a
    // container app grants nothing at its group, so it is measured on the app itself.
    const own = belowAt(a.scope);
    if (own) measure(a.scope, own.candidates, own.before);
    if (added.size === 0) continue;
    const roleName = input.roleNameOf(a.roleDefinitionId);
    const viaGroup = a.principalId.toLowerCase() !== principalId.toLowerCase() ? a.principalId : undefined;
    const summary = summarize([...added.values()]);
    findings.push({
      assignment: a,
      roleName,
      ...(viaGroup ? { viaGroupId: viaGroup } : {}),
      affectedScopes: affected,
      added: summary,
      message: driftMessage(roleName, a, viaGroup, summary),
    });
  }
  return findings;
}

function opKey(op: CandidateOperation): string {
  return `${op.dataAction ? 'd' : 'c'}|${op.name.toLowerCase()}`;
}

export function summarize(ops: CandidateOperation[]): AddedOperations {
  const byKind: Record<OperationKind, number> = { write: 0, delete: 0, action: 0, read: 0, data: 0 };
  const byNamespace: Record<string, number> = {};
  const names: string[] = [];
  for (const op of ops) {
    byKind[operationKind(op)]++;
    const ns = op.name.slice(0, op.name.indexOf('/'));
    const nsKey = Object.keys(byNamespace).find((k) => k.toLowerCase() === ns.toLowerCase()) ?? ns;
    byNamespace[nsKey] = (byNamespace[nsKey] ?? 0) + 1;
    names.push(op.dataAction ? `${op.name} (data)` : op.name);
  }
  names.sort((x, y) => x.toLowerCase().localeCompare(y.toLowerCase()));
  return { total: ops.length, byKind, byNamespace, operations: names };
}

/** write/delete/action/data: the operations that change something or read data. */
export function mutatingCount(added: AddedOperations): number {
  return added.byKind.write + added.byKind.delete + added.byKind.action + added.byKind.data;
}

function driftMessage(roleName: string, a: ActualAssignment, viaGroup: string | undefined, added: AddedOperations): string {
  const who = viaGroup ? ` (through group ${viaGroup})` : '';
  const kinds = (['write', 'delete', 'action', 'data', 'read'] as const)
    .filter((k) => added.byKind[k] > 0)
    .map((k) => `${added.byKind[k]} ${k}`)
    .join(', ');
  const cond = a.condition ? ' It carries an ABAC condition, counted as met.' : '';
  return `${roleName} at ${a.scope}${who}, not made by Elevate, adds ${added.total} operation(s) beyond the agent's level (${kinds}).${cond}`;
}
