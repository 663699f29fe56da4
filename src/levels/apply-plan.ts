import type { AuditActor, AuditInput, JsonObject } from '../audit/audit-types.ts';
import type { AssignmentWriter } from './arm-assignment-writer.ts';
import { describeError } from './inventory-service.ts';
import { ELEVATE_MARKER, type ActualAssignment, type DesiredAssignment, type Plan } from './level-types.ts';

export interface AuditAppender {
  append(input: AuditInput): Promise<unknown>;
}

export type ApplyAction = 'create' | 'delete' | 'remove-drift';
export type ApplyStatus = 'created' | 'exists' | 'deleted' | 'absent' | 'failed' | 'not-attempted' | 'skipped';

export interface ApplyItem {
  action: ApplyAction;
  roleName: string;
  scope: string;
  principalId: string;
  assignmentId: string;
  status: ApplyStatus;
  /** One line: ARM's error code and message, or why it was skipped. */
  error?: string;
}

export interface ApplyReport {
  agent: Plan['agent'];
  items: ApplyItem[];
  /** Assignments created or deleted in this run. */
  changed: number;
  failed: number;
  ok: boolean;
}

export interface ApplyOptions {
  writer: AssignmentWriter;
  audit: AuditAppender;
  actor: AuditActor;
  /** Also delete drift assignments made directly to the UAMI (never those made to its groups). */
  removeDrift?: boolean;
  onProgress?: (done: number, total: number, item: ApplyItem) => void;
}

export function assignmentDescription(plan: Plan, d: DesiredAssignment): string {
  const why = d.reason.kind === 'preconfigured' ? 'preconfigured role' : `for ${d.reason.resourceTypes.join(', ')}`;
  return `${ELEVATE_MARKER}: ${plan.agent.level} level of agent '${plan.agent.name}' (${why})`.slice(0, 1024);
}

const createdId = (d: DesiredAssignment) => `${d.scope}/providers/Microsoft.Authorization/roleAssignments/${d.name}`;

interface Step {
  item: ApplyItem;
  details: JsonObject;
  run: () => Promise<ApplyStatus>;
}

/**
 * Carries a plan out, one assignment at a time: deletes first (the agent never holds more than
 * either its old or its new level allows), then creates. Each step is audited before ARM is
 * called, and its outcome after; if the first entry cannot be written, that step and every
 * later one are not attempted. A failed step does not stop the others; running apply again
 * retries exactly what is still missing, since names are deterministic and "already exists" /
 * "already gone" count as done.
 */
export async function applyPlan(plan: Plan, options: ApplyOptions): Promise<ApplyReport> {
  const { writer, audit, actor } = options;
  const steps: Step[] = [];
  const base = (action: ApplyAction, roleName: string, scope: string, principalId: string, assignmentId: string): ApplyItem => ({
    action,
    roleName,
    scope,
    principalId,
    assignmentId,
    status: 'not-attempted',
  });
  const hint = plan.desired[0]?.scope.split('/')[2];

  for (const del of plan.toDelete) {
    const a = del.assignment;
    steps.push({
      item: base('delete', del.roleName, a.scope, a.principalId, a.id),
      details: { roleName: del.roleName, roleDefinitionId: a.roleDefinitionId, reason: del.reason, description: a.description ?? null },
      run: () => writer.delete(a, hint),
    });
  }
  const skipped: ApplyItem[] = [];
  if (options.removeDrift) {
    for (const f of plan.drift) {
      const a: ActualAssignment = f.assignment;
      if (f.viaGroupId) {
        skipped.push({
          ...base('remove-drift', f.roleName, a.scope, a.principalId, a.id),
          status: 'skipped',
          error: `assigned to group ${f.viaGroupId}, which other members may rely on: remove the identity from the group or the assignment by hand`,
        });
        continue;
      }
      steps.push({
        item: base('remove-drift', f.roleName, a.scope, a.principalId, a.id),
        details: { roleName: f.roleName, roleDefinitionId: a.roleDefinitionId, drift: f.message, description: a.description ?? null },
        run: () => writer.delete(a, hint),
      });
    }
  }
  for (const d of plan.toCreate) {
    const description = assignmentDescription(plan, d);
    steps.push({
      item: base('create', d.roleName, d.scope, d.principalId, createdId(d)),
      details: { roleName: d.roleName, roleDefinitionId: d.roleDefinitionId, description },
      run: () => writer.create(d, description),
    });
  }

  const total = steps.length;
  let done = 0;
  let auditBroken: string | undefined;
  for (const step of steps) {
    const { item } = step;
    const entry = (outcome: string, extra: JsonObject = {}): AuditInput => ({
      actor,
      eventType: `level.assignment-${item.action}`,
      subject: item.assignmentId,
      agentId: plan.agent.id,
      scope: item.scope,
      outcome,
      actingIdentity: 'elevate-governance',
      details: { ...step.details, principalId: item.principalId, ...extra },
    });
    if (auditBroken) {
      item.error = auditBroken;
    } else {
      try {
        await audit.append(entry('requested'));
      } catch (err) {
        auditBroken = `not attempted: the audit log could not record it (${describeError(err)})`;
        item.error = auditBroken;
      }
    }
    if (!auditBroken) {
      try {
        item.status = await step.run();
      } catch (err) {
        item.status = 'failed';
        item.error = describeError(err);
      }
      // The change (or its failure) already happened; a failure to record the outcome is reported, not undone.
      await audit.append(entry(item.status === 'failed' ? 'failed' : item.status, item.error ? { error: item.error } : {})).catch((err: unknown) => {
        item.error = `${item.error ? `${item.error}; ` : ''}outcome not recorded in the audit log (${describeError(err)})`;
      });
    }
    done++;
    options.onProgress?.(done, total, item);
  }

  const items = [...steps.map((s) => s.item), ...skipped];
  const failed = items.filter((i) => i.status === 'failed' || i.status === 'not-attempted').length;
  const changed = items.filter((i) => i.status === 'created' || i.status === 'deleted').length;
  return { agent: plan.agent, items, changed, failed, ok: failed === 0 };
}
