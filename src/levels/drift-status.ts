/**
 * Each agent's drift state for the start page, from the same plan the agent's plan page shows,
 * kept for `maxAgeSeconds` so a busy start page does not read ARM on every visit. One plan per
 * agent at a time; a failed plan is remembered as "unknown" (with its one-line reason) for the
 * same time, so a broken connection is not retried on every request either.
 */
import type { LevelEnforcer } from './level-enforcer.ts';

export type DriftState = 'in-sync' | 'drift' | 'changes-pending' | 'unknown';

export interface DriftStatus {
  state: DriftState;
  /** Assignments someone else made that give the identity more than its level. */
  driftCount: number;
  /** Role assignments apply would create or delete. */
  pendingChanges: number;
  /** Set when drift lifts the agent above its own level. */
  effectiveLevel?: string;
  checkedAt: string;
  /** Why the state is unknown (one line). */
  reason?: string;
}

export interface DriftStatusSource {
  /** The cached status, planning afresh when it is older than the cache lifetime. */
  get(agentId: string): Promise<DriftStatus>;
  /** The cached status without planning; undefined when there is none yet. */
  peek(agentId: string): DriftStatus | undefined;
}

export function createDriftStatusSource(deps: {
  enforcer: Pick<LevelEnforcer, 'plan'>;
  maxAgeSeconds: number;
  clock?: () => Date;
  /** Called when an agent is found drifting and was not last time (notifications: once per episode). */
  onDriftFound?: (agentId: string, status: DriftStatus) => void;
}): DriftStatusSource {
  const clock = deps.clock ?? (() => new Date());
  const cache = new Map<string, { at: number; status: DriftStatus }>();
  const running = new Map<string, Promise<DriftStatus>>();

  async function plan(agentId: string): Promise<DriftStatus> {
    const checkedAt = clock().toISOString();
    try {
      const { plan } = await deps.enforcer.plan(agentId);
      const pendingChanges = plan.toCreate.length + plan.toDelete.length;
      const state: DriftState = plan.drift.length > 0 ? 'drift' : pendingChanges > 0 ? 'changes-pending' : 'in-sync';
      return {
        state,
        driftCount: plan.drift.length,
        pendingChanges,
        ...(plan.effectiveLevel.exceeds ? { effectiveLevel: plan.effectiveLevel.level } : {}),
        checkedAt,
      };
    } catch (err) {
      return { state: 'unknown', driftCount: 0, pendingChanges: 0, checkedAt, reason: (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 200) };
    }
  }

  return {
    peek: (agentId) => cache.get(agentId)?.status,
    get(agentId) {
      const hit = cache.get(agentId);
      if (hit && clock().getTime() - hit.at < deps.maxAgeSeconds * 1000) return Promise.resolve(hit.status);
      let p = running.get(agentId);
      if (!p) {
        p = plan(agentId).then((status) => {
          const before = cache.get(agentId)?.status.state;
          cache.set(agentId, { at: clock().getTime(), status });
          if (status.state === 'drift' && before !== 'drift') {
            try {
              deps.onDriftFound?.(agentId, status);
            } catch {
              // a listener's fault is not the plan's
            }
          }
          running.delete(agentId);
          return status;
        });
        running.set(agentId, p);
      }
      return p;
    },
  };
}
