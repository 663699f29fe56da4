/**
 * What Elevate does with one validated operation of one agent, as a chain of small checks:
 * deriveAction -> checkGuardrails -> content rules (forbid) -> resolveMode -> checkPermission ->
 * outcome -> content rules (hold: tighten only). Each step either
 * settles the decision or hands on; the only I/O is the permission check, which reads a cache,
 * and for a PATCH some content rule needs to see merged, one read of the resource as it is.
 */
import type { CurrentResource } from '../policies/request-facts.ts';
import type { Decision, RoleSuggestion } from '../rbac/rbac-types.ts';
import type { OperationStatus } from '../rbac/resolve-arm-operation.ts';
import type { Agent, ContentRuleHit, DecisionOutcome, DecisionReasonCode, GuardrailHit, OperationDecision, OperationInput, PermissionSummary, RunMode, TriggerKind } from './operation-types.ts';

/** What content rules are evaluated over: the request as validated, its derived actions, the agent. */
export interface ContentRuleRequest {
  method: string;
  path: string;
  apiVersion: string;
  body?: unknown;
  /** the derived action first, then the structural one when the call resolved to another */
  actions: string[];
  resourceType?: string | undefined;
  agent: { id: string; resourceGroupIds: readonly string[] };
  /** for a PATCH a rule reading `merged` could match: the resource as it is */
  current?: CurrentResource | undefined;
}

/** The foundation functions the pipeline composes, bound to the loaded policies. */
export interface DecisionDeps {
  /**
   * RBAC action and check scope of an ARM request (resolveArmOperation: the listed operation, or
   * the structural action flagged `unlisted`); throws on a shape ARM does not serve.
   */
  deriveAction(
    method: string,
    path: string,
  ): { action: string; scope: string; isDataAction: boolean; operationStatus?: OperationStatus; operationNote?: string; derivedAction?: string; resourceType?: string };
  /** The guardrail rule the action hits, if any (findGuardrail over the loaded policies). */
  findGuardrail(action: string, isDataAction: boolean): GuardrailHit | undefined;
  /**
   * The content and `require` rules the request matches (findContentRules over the loaded
   * policies); absent: there are none. Never throws for a rule that cannot be evaluated: that
   * rule comes back as a hold (`failedClosed`).
   */
  findContentRules?(request: ContentRuleRequest): ContentRuleHit[];
  /** Whether the content rules need the resource as it is (a PATCH a rule reading `merged` could match). */
  needsCurrentResource?(request: ContentRuleRequest): boolean;
  /**
   * The resource as it is, read from ARM with the agent's own identity just before the decision.
   * Never throws: what could not be read comes back `known: false`, and the rules reading it hold.
   */
  readCurrentResource?(agent: Agent, path: string, apiVersion: string): Promise<CurrentResource>;
  /** The trigger's run mode capped by the agent's ceiling (resolveRunMode). */
  resolveRunMode(triggerKind: TriggerKind, ceiling: RunMode): RunMode;
  /** What the mode does with the operation (runModeAllows). */
  runModeAllows(mode: RunMode, isWrite: boolean): 'allow' | 'needs-consent' | 'refuse';
  /** The evaluator's answer for the agent's UAMI, from the permission cache. */
  checkPermission(principalId: string, action: string, scope: string): Promise<Decision>;
}

/** Suggestions beyond the few smallest are noise to an approver. */
export const MAX_ROLE_SUGGESTIONS = 10;

export interface DerivedAction {
  action: string;
  isDataAction: boolean;
  scope: string;
  isWrite: boolean;
  operationStatus?: OperationStatus;
  operationNote?: string;
  /** the structural "type + verb" action when the listed operation `action` differs from it */
  derivedAction?: string;
  /** e.g. Microsoft.KeyVault/vaults */
  resourceType?: string;
}

/** The path is well-formed but names nothing ARM serves for the method (PUT on a collection...). */
export class UnsupportedOperationError extends Error {
  override name = 'UnsupportedOperationError';
}

export function deriveAction(input: Pick<OperationInput, 'method' | 'path'>, deps: Pick<DecisionDeps, 'deriveAction'>): DerivedAction {
  let derived;
  try {
    derived = deps.deriveAction(input.method, input.path);
  } catch (err) {
    // The foundation's message quotes the path; keep only why it was refused.
    const why = err instanceof Error ? (/": (.*)$/.exec(err.message)?.[1] ?? err.message) : 'not an ARM operation';
    throw new UnsupportedOperationError(`is not an ARM operation for ${input.method}: ${why.slice(0, 200)}`);
  }
  const out: DerivedAction = { action: derived.action, isDataAction: derived.isDataAction, scope: derived.scope, isWrite: input.method !== 'GET' };
  if (derived.operationStatus) out.operationStatus = derived.operationStatus;
  if (derived.operationNote) out.operationNote = derived.operationNote;
  if (derived.derivedAction) out.derivedAction = derived.derivedAction;
  if (derived.resourceType) out.resourceType = derived.resourceType;
  return out;
}

/**
 * A decision's common fields; callers add what their outcome carries to the object made here.
 * Not spread into a literal: in Node 20's V8, each property added to an object made by a
 * leading spread costs a runtime call (~0.7 µs), and every answer paid for four (issue 18).
 */
function decided(d: DerivedAction, runMode: RunMode, outcome: DecisionOutcome, reasonCode: DecisionReasonCode, explanation: string): OperationDecision {
  const out: OperationDecision = { outcome, reasonCode, explanation, action: d.action, scope: d.scope, isWrite: d.isWrite, runMode, wouldBeGrantedBy: [] };
  if (d.operationStatus) out.actionStatus = d.operationStatus;
  if (d.operationNote) out.actionNote = d.operationNote;
  return out;
}

/** An action Azure does not list is said so in the explanation, not only in a field. */
function withActionNote(d: DerivedAction, explanation: string): string {
  return d.operationStatus === 'unlisted' && d.operationNote ? `${explanation}. Note: ${d.operationNote}` : explanation;
}

export function checkGuardrails(d: DerivedAction, runMode: RunMode, deps: Pick<DecisionDeps, 'findGuardrail'>): OperationDecision | undefined {
  // A call resolved to its listed operation is also held against the structural action, so a
  // guardrail written for either spelling of the call still stops it.
  const hit = deps.findGuardrail(d.action, d.isDataAction) ?? (d.derivedAction ? deps.findGuardrail(d.derivedAction, d.isDataAction) : undefined);
  if (!hit) return undefined;
  const out = decided(d, runMode, 'forbidden', 'guardrail', withActionNote(d, `${d.action} is forbidden by guardrail '${hit.rule}': ${hit.reason}`));
  out.guardrail = hit;
  return out;
}

/** "guardrail 'id': reason (when: condition)" — the rule and the condition that matched, in one line. */
function describeHit(hit: GuardrailHit & { failedClosed?: string | undefined }): string {
  const when = hit.condition ? ` (when: ${hit.condition})` : '';
  const failed = hit.failedClosed ? ` [not evaluable, held for an administrator: ${hit.failedClosed}]` : '';
  return `guardrail '${hit.rule}'${when}: ${hit.reason}${failed}`;
}

/**
 * The content rules the request matches, from the deps (none when the deps have no content rules).
 * The only I/O: for a PATCH that a rule reading `merged` could match, the resource is read first;
 * without a reader, such rules hold the request (what the PATCH leaves is not known).
 */
export async function contentRuleHits(
  input: Pick<OperationInput, 'method' | 'path' | 'apiVersion' | 'body'>,
  agent: Agent,
  d: DerivedAction,
  deps: Pick<DecisionDeps, 'findContentRules' | 'needsCurrentResource' | 'readCurrentResource'>,
): Promise<ContentRuleHit[]> {
  if (!deps.findContentRules) return [];
  const request: ContentRuleRequest = {
    method: input.method,
    path: input.path,
    apiVersion: input.apiVersion,
    actions: d.derivedAction ? [d.action, d.derivedAction] : [d.action],
    resourceType: d.resourceType,
    agent: { id: agent.id, resourceGroupIds: agent.resourceGroupIds },
  };
  if (input.body !== undefined) request.body = input.body;
  if (deps.needsCurrentResource?.(request)) {
    request.current = deps.readCurrentResource ? await deps.readCurrentResource(agent, input.path, input.apiVersion) : { known: false, why: 'Elevate has no reader for it' };
  }
  return deps.findContentRules(request);
}

/** A content rule that forbids settles the decision, whatever the run mode or permission. */
export function checkContentForbid(d: DerivedAction, runMode: RunMode, hits: ContentRuleHit[]): OperationDecision | undefined {
  const hit = hits.find((h) => h.effect === 'forbid');
  if (!hit) return undefined;
  const guardrail: GuardrailHit = { rule: hit.rule, reason: hit.reason };
  if (hit.condition) guardrail.condition = hit.condition;
  if (hit.link) guardrail.link = hit.link;
  const out = decided(d, runMode, 'forbidden', 'guardrail', withActionNote(d, `${d.action} is forbidden by ${describeHit(hit)}`));
  out.guardrail = guardrail;
  out.contentRules = hits;
  return out;
}

/**
 * Tightens a decision by the `require` rules that matched (and the rules that could not be
 * evaluated, which hold for an administrator). Never loosens: forbidden stays forbidden,
 * pending_elevation stays pending_elevation, and the approvers needed only go up.
 */
export function applyHolds(decision: OperationDecision, hits: ContentRuleHit[]): OperationDecision {
  if (hits.length === 0) return decision;
  // Copied, then added to: a literal adding a property after a spread costs a runtime call in Node 20's V8.
  const out: OperationDecision = Object.assign({}, decision);
  out.contentRules = hits;
  if (decision.outcome === 'forbidden') return out;
  const elevating = hits.find((h) => h.elevation === true);
  const approvers = Math.max(0, ...hits.map((h) => h.approvers ?? 0));
  const counting = hits.find((h) => (h.approvers ?? 0) === approvers && approvers > 0);
  if (approvers > 0) out.approversRequired = Math.max(approvers, decision.approversRequired ?? 0);
  const needs = approvers > 0 ? `; ${approvers} administrators must approve${counting === elevating ? '' : ` (guardrail '${counting!.rule}')`}` : '';
  if (elevating && decision.outcome !== 'pending_elevation') {
    out.outcome = 'pending_elevation';
    out.reasonCode = 'content_rule';
    out.explanation = `${decision.action} is held by ${describeHit(elevating)}; an administrator must run it with their own sign-in${needs}`;
  } else if (approvers > 0 && decision.outcome === 'execute') {
    out.outcome = 'pending_consent';
    out.reasonCode = 'content_rule';
    out.explanation = `${decision.action} is held${needs.replace(/^;/, ':')}`;
  } else {
    const held = elevating ? `; also held by ${describeHit(elevating)}` : '';
    out.explanation = `${decision.explanation}${held}${needs}`;
  }
  return out;
}

export function checkRunMode(d: DerivedAction, runMode: RunMode, deps: Pick<DecisionDeps, 'runModeAllows'>): OperationDecision | undefined {
  if (deps.runModeAllows(runMode, d.isWrite) !== 'refuse') return undefined;
  return decided(d, runMode, 'forbidden', 'run_mode_read_only', withActionNote(d, `run mode ${runMode} does not allow ${d.isWrite ? 'writes' : 'this operation'} (${d.action})`));
}

export function summarizePermission(decision: Decision): PermissionSummary {
  return {
    allowed: decision.allowed,
    reason: decision.reason,
    message: decision.message,
    grantedBy: decision.grantedBy.map((g) => ({ roleName: g.roleName, scope: g.assignmentScope, viaGroup: g.viaGroup })),
    deniedBy: decision.deniedBy.map((d) => ({ denyAssignmentId: d.denyAssignmentId, scope: d.scope })),
  };
}

export function outcomeFor(d: DerivedAction, runMode: RunMode, permission: Decision, deps: Pick<DecisionDeps, 'runModeAllows'>): OperationDecision {
  const summary = summarizePermission(permission);
  if (!permission.allowed) {
    const roles: RoleSuggestion[] = permission.wouldBeGrantedBy
      .slice(0, MAX_ROLE_SUGGESTIONS)
      .map((r) => ({ roleDefinitionId: r.roleDefinitionId, roleName: r.roleName, size: r.size, builtIn: r.builtIn }));
    const names = roles.map((r) => r.roleName).join(', ');
    const out = decided(
      d,
      runMode,
      'pending_elevation',
      'missing_permission',
      withActionNote(d, `the agent's identity lacks ${d.action} at this scope (${permission.message})${names ? `; would be granted by ${names}` : ''}`),
    );
    out.permission = summary;
    out.missingAction = d.action;
    out.wouldBeGrantedBy = roles;
    return out;
  }
  if (deps.runModeAllows(runMode, d.isWrite) === 'needs-consent') {
    const out = decided(d, runMode, 'pending_consent', 'needs_consent', withActionNote(d, `run mode ${runMode}: an administrator must consent to ${d.action}`));
    out.permission = summary;
    return out;
  }
  const out = decided(d, runMode, 'execute', 'allowed', withActionNote(d, permission.message));
  out.permission = summary;
  return out;
}

/**
 * The whole pipeline; the returned decision is what both /operations and /decisions report.
 * Throws UnsupportedOperationError (a 400) when the path names no ARM operation for the method.
 */
export async function decideOperation(input: OperationInput, agent: Agent, deps: DecisionDeps): Promise<OperationDecision> {
  const derived = deriveAction(input, deps);
  const runMode = deps.resolveRunMode(input.trigger.kind, agent.runModeCeiling);
  const guarded = checkGuardrails(derived, runMode, deps);
  if (guarded) return guarded;
  const hits = await contentRuleHits(input, agent, derived, deps);
  const forbidden = checkContentForbid(derived, runMode, hits);
  if (forbidden) return forbidden;
  return applyHolds(
    checkRunMode(derived, runMode, deps) ?? outcomeFor(derived, runMode, await deps.checkPermission(agent.uamiPrincipalId, derived.action, derived.scope), deps),
    hits,
  );
}
