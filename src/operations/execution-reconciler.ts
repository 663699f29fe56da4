/**
 * Ends what a crash left half-done (issue 11, item 2), at start-up and then periodically, from
 * each execution's durable record (the `executions` row written before ARM is called, the poll URL
 * written as soon as ARM accepted a long-running operation, and the `arm.request` audit entry
 * appended before the call). It never sends an operation to ARM again: at most once holds.
 *
 * For a request left `executing` that this process is not following:
 * - no execution record (only on rows from before the gate wrote it), or no `arm.request` entry:
 *   the call was never sent (both are written, and the entry durably appended, before sending)
 *   -> `failed`, "not sent";
 * - ARM's final answer recorded on the execution but not yet on the request -> that answer;
 * - a long-running operation started with the agent's managed identity -> followed to its end
 *   with that identity (GETs of the recorded poll URL only);
 * - otherwise (an approver's one-time token died with the process, or a direct call whose
 *   answer was lost) -> `outcome_unknown`, with ARM's correlation id for the activity log.
 *
 * Several instances on one database (issue 16): an execution whose intent names another instance
 * that is still alive (instance-liveness.ts) is that instance's and is left alone. One that names
 * a dead instance is first claimed for this one (compare-and-set on the row), so two reconcilers
 * never both act on it and a later one sees it as this instance's. Rows naming no instance
 * (before migration 018) are an earlier process's. A free liveness lock may also be a live
 * instance's dropped session: with leases (several instances), a claim also needs the execution's
 * lease to have run out by the database's clock (execution-lease.ts), and an own execution is
 * resumed only after its lease was renewed here. A takeover is audited
 * (`operation.execution.taken_over`) after the claim and before anything is done, and the entry
 * that ends the request names the instance it was taken from; if that entry cannot be appended
 * the claim is handed back and nothing is done (no audit entry, no action).
 * The start gate writes the intent in the same transaction as `approved -> executing`
 * (operation-request-store.ts), so no instance ever sees a request `executing` without its
 * execution row: one without a row was left so by a version that wrote them in two statements,
 * and was never sent.
 * Requests accepted but never started (`approved`, older than the interval) are cancelled with a
 * reason saying they were not run: the elevation's token is gone and the agent got no answer.
 * Besides a stop, an approval whose decision was recorded but whose transition entry was not
 * leaves one so (request-lifecycle.ts): nothing acts on it, and this ends it.
 */
import type { Logger } from '../observability/logger.ts';
import { createInProcessLiveness, ownedByAnotherLiveInstance, type InstanceLiveness } from '../store/instance-liveness.ts';
import type { ExecutionLeases } from './execution-lease.ts';
import { executionTakenOverEntry, SYSTEM_ACTOR } from './operation-audit.ts';
import type { OperationRequestStore } from './operation-request-store.ts';
import type { Agent, AgentDirectory, OperationRequest } from './operation-types.ts';
import type { RequestExecutor } from './request-execution.ts';
import type { AuditSink, RequestLifecycle } from './request-lifecycle.ts';
import type { TokenCredential } from '@azure/core-auth';

export interface ReconcileReport {
  /** executions found interrupted */
  examined: number;
  notSent: number;
  finishedFromRecord: number;
  resumed: number;
  outcomeUnknown: number;
  /** executing on another instance that is alive: left to it */
  otherInstance: number;
  /** approved requests that never started, ended as not run */
  notStarted: number;
}

export interface ReconcilerDeps {
  store: OperationRequestStore;
  lifecycle: Pick<RequestLifecycle, 'apply'>;
  executor: Pick<RequestExecutor, 'resumeFollowing' | 'isFollowing'>;
  /** Where a takeover is recorded before the reconciler acts on it. */
  audit: Pick<AuditSink, 'append'>;
  /** Whether the request's `arm.request` entry (appended before the call) exists. */
  armRequestAudited(requestId: string): Promise<boolean>;
  agents: Pick<AgentDirectory, 'get'>;
  agentCredential(agent: Agent): TokenCredential;
  clock: () => Date;
  logger?: Logger | undefined;
  /** This instance and whether others live (default: this process is the only one). */
  liveness?: InstanceLiveness | undefined;
  /**
   * Several instances: executions' leases (execution-lease.ts). A claim takes only an execution
   * whose lease ran out, and gives this instance one; an own execution is resumed only after
   * its lease was renewed here.
   */
  leases?: Pick<ExecutionLeases, 'leaseMs' | 'now'> | undefined;
}

const BATCH = 200;
const NOT_SENT = 'the service stopped before the operation was sent to ARM; it was not sent and will not be';

export function createExecutionReconciler(deps: ReconcilerDeps) {
  const now = () => deps.clock().toISOString();
  const liveness = deps.liveness ?? createInProcessLiveness();
  // Everything last changed before this process started was left by an earlier one.
  const startedAt = now();

  /** What every entry a reconciler writes says of where it ran (and whose execution it took over). */
  type Provenance = { reconciled: true; instance: string; takenOverFrom?: string | null };

  async function end(request: OperationRequest, provenance: Provenance, event: 'fail' | 'succeed' | 'unknown', code: string | undefined, message: string, details: Record<string, string | number | null>) {
    const error = code ? { code, message } : undefined;
    const outcome = await deps.lifecycle.apply(request, {
      event,
      actor: SYSTEM_ACTOR,
      reason: message,
      ...(error ? { fields: { error } } : {}),
      details: { ...provenance, ...details, ...(error ? { error } : {}) },
    });
    return outcome.ok;
  }

  /**
   * Claims another instance's execution for this one and audits it. False: lost to another
   * reconciler, or the entry could not be appended (then the claim is handed back).
   */
  async function takeOver(request: OperationRequest, from: string | null, correlationId: string): Promise<boolean> {
    if (!(await deps.store.claimExecution(request.id, from, liveness.id, deps.leases?.leaseMs))) return false;
    try {
      await deps.audit.append(executionTakenOverEntry(request, { from, to: liveness.id, correlationId }));
      deps.logger?.warn({ requestId: request.id, fromInstance: from, toInstance: liveness.id }, 'took over an execution whose instance is gone');
      return true;
    } catch (err) {
      deps.logger?.error({ err, requestId: request.id }, 'audit append of a takeover failed; the claim is handed back and nothing is done');
      await deps.store.handBackExecution(request.id, liveness.id, from).catch(() => undefined);
      return false;
    }
  }

  async function reconcileOne(id: string, report: ReconcileReport): Promise<void> {
    if (deps.executor.isFollowing(id)) return;
    const request = (await deps.store.get(id))?.request;
    if (!request || request.state !== 'executing') return;
    let execution = await deps.store.getExecution(id);
    if (execution && (await ownedByAnotherLiveInstance(liveness, execution.instanceId))) {
      report.otherInstance += 1;
      return;
    }
    const provenance: Provenance = { reconciled: true, instance: liveness.id };
    // Taken before the statement that gives this instance the lease is sent.
    const leaseGrantedAt = deps.leases?.now();
    if (execution && execution.instanceId !== liveness.id) {
      const from = execution.instanceId ?? null;
      if (!(await takeOver(request, from, execution.correlationId))) {
        // Another reconciler took it, or its instance still holds its lease (its liveness session
        // may only have dropped): that instance's, for now.
        report.otherInstance += 1;
        return;
      }
      provenance.takenOverFrom = from;
      // What its instance recorded up to the claim (ARM's answer may have landed just before).
      execution = await deps.store.getExecution(id);
    } else if (execution && deps.leases && !(await deps.store.renewExecutionLease(id, liveness.id, deps.leases.leaseMs))) {
      return;
    }
    report.examined += 1;
    if (!execution) {
      if (await end(request, provenance, 'fail', 'interrupted_before_arm', NOT_SENT, { correlationId: null })) report.notSent += 1;
      return;
    }
    const correlationId = execution.correlationId || null;
    if ((execution.result === 'succeeded' || execution.result === 'failed') && execution.finishedAt) {
      const arm = { status: execution.armStatus ?? 0, correlationId: execution.correlationId, ...(execution.armRequestId ? { armRequestId: execution.armRequestId } : {}) };
      const succeeded = execution.result === 'succeeded';
      const outcome = await deps.lifecycle.apply(request, {
        event: succeeded ? 'succeed' : 'fail',
        actor: SYSTEM_ACTOR,
        actingIdentity: execution.actingIdentity,
        fields: { arm, ...(succeeded ? {} : { error: { code: `HTTP${arm.status}`, message: 'ARM answered before the service stopped (recorded on the execution)' } }) },
        details: { ...provenance, status: arm.status, correlationId },
      });
      if (outcome.ok) report.finishedFromRecord += 1;
      return;
    }
    if (!(await deps.armRequestAudited(id))) {
      await deps.store.finishExecution(id, now(), 'failed');
      if (await end(request, provenance, 'fail', 'interrupted_before_arm', NOT_SENT, { correlationId })) report.notSent += 1;
      return;
    }
    if (execution.pollUrl && execution.credentialKind === 'agent') {
      const agent = await deps.agents.get(request.agentId);
      if (agent) {
        // Followed in the background with the identity that started it; the executor records the end.
        void deps.executor.resumeFollowing(request, execution, deps.agentCredential(agent), provenance, leaseGrantedAt);
        report.resumed += 1;
        return;
      }
    }
    const why =
      execution.credentialKind === 'obo'
        ? "the approver's one-time token ended with the process, so the operation cannot be followed"
        : execution.pollUrl
          ? "the agent is no longer registered, so the operation cannot be followed with its identity"
          : "ARM's answer was lost when the service stopped";
    const message = `the service stopped while ARM had the operation; ${why}. Its outcome is unknown and it will not be re-run: look up ARM correlation id ${execution.correlationId} in the Azure activity log`;
    await deps.store.closeExecution(id, now());
    if (await end(request, provenance, 'unknown', 'outcome_unknown', message, { correlationId, armStatus: execution.armStatus, credentialKind: execution.credentialKind })) report.outcomeUnknown += 1;
  }

  /**
   * One pass. `olderThanMs` undefined (start-up): every request left by an earlier process;
   * otherwise those unchanged for that long. A request this process is executing or following
   * right now is never touched.
   */
  async function reconcile(options: { olderThanMs?: number } = {}): Promise<ReconcileReport> {
    const report: ReconcileReport = { examined: 0, notSent: 0, finishedFromRecord: 0, resumed: 0, outcomeUnknown: 0, otherInstance: 0, notStarted: 0 };
    const cutoff = options.olderThanMs === undefined ? startedAt : new Date(deps.clock().getTime() - options.olderThanMs).toISOString();
    for (const { id } of await deps.store.listInState('executing', cutoff, BATCH)) {
      try {
        await reconcileOne(id, report);
      } catch (err) {
        deps.logger?.error({ err, requestId: id }, 'reconciling an interrupted execution failed; retried on the next pass');
      }
    }
    for (const { id } of await deps.store.listInState('approved', cutoff, BATCH)) {
      const request = (await deps.store.get(id))?.request;
      if (!request || request.state !== 'approved') continue;
      const ok = await deps.lifecycle
        .apply(request, { event: 'cancel', actor: SYSTEM_ACTOR, reason: 'this request was approved but never started (the service stopped, or the audit log could not record the whole approval); it was not run', details: { reconciled: true } })
        .then((o) => o.ok)
        .catch((err: unknown) => (deps.logger?.error({ err, requestId: id }, 'ending a request that never started failed'), false));
      if (ok) report.notStarted += 1;
    }
    const acted = report.examined + report.notStarted;
    if (acted > 0) deps.logger?.warn({ ...report }, 'reconciled executions interrupted by a stop');
    return report;
  }

  return { reconcile };
}

export type ExecutionReconciler = ReturnType<typeof createExecutionReconciler>;

/** Runs `reconcile` now and every `intervalMs` (one pass at a time; a failing pass is logged). */
export function startReconcileTimer(options: { run: () => Promise<unknown>; intervalMs: number; logger?: Logger | undefined }): { first: Promise<void>; stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  const tick = (): Promise<void> => {
    if (running) return running;
    running = options
      .run()
      .then(() => undefined, (err: unknown) => options.logger?.error({ err }, 'reconcile pass failed; retried on the next tick'))
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const first = tick();
  const timer = setInterval(() => void tick(), options.intervalMs);
  timer.unref();
  return {
    first,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
