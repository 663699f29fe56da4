/**
 * Taking a raise's grants back from Azure: one grant at a time, for the revoke that ends a raise,
 * and for a grant that landed after another instance had already ended the raise.
 */
import type { AuditAppender } from '../agents/agent-registry.ts';
import type { Logger } from '../observability/logger.ts';
import type { GrantWindow, RaiseGrantGateway } from './arm-raise-grants.ts';
import { grantsFacts, raiseEntry, SYSTEM_ACTOR } from './raise-audit.ts';
import type { RaiseStore } from './raise-store.ts';
import type { LevelRaise, RaiseGrant } from './raise-types.ts';

/** An error's first line, bounded: what is recorded and logged of it. */
export const oneLine = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 300);

/** The window a raise's grants are made for. */
export const windowOf = (r: LevelRaise): GrantWindow => ({ principalId: r.principalId, raiseId: r.id, startsAt: r.startsAt!, endsAt: r.endsAt!, justification: r.justification });

export interface GrantRemovalDeps {
  gateway: RaiseGrantGateway;
  store: Pick<RaiseStore, 'get'>;
  audit: AuditAppender;
  clock: () => Date;
  onRolesChanged?: ((principalId: string) => void) | undefined;
  logger?: Logger | undefined;
}

export function createGrantRemoval(deps: GrantRemovalDeps) {
  /** Takes one grant back from Azure; what is still left of it afterwards, or undefined when it is gone. */
  async function removeGrant(r: LevelRaise, g: RaiseGrant, early: boolean): Promise<string | undefined> {
    try {
      // Before the window's end PIM must be told (AdminRemove / cancel); fallback grants are deleted by name.
      if (early || r.mode !== 'pim') await deps.gateway.end(r.mode ?? 'fallback', g, windowOf(r));
      // Then check ARM: whatever still gives this role at this scope past the raise goes, whoever made it.
      const left = await deps.gateway.assignmentsFor(r.principalId, g);
      for (const id of left) await deps.gateway.deleteAssignment(id);
      const still = left.length > 0 ? await deps.gateway.assignmentsFor(r.principalId, g) : [];
      return still.length > 0 ? `${g.roleName} at ${g.scope} is still assigned (${still.join(', ')})` : undefined;
    } catch (err) {
      return `${g.roleName} at ${g.scope}: ${oneLine(err)}`;
    }
  }

  /**
   * The per-raise lock is per process: another instance can end a raise while this one is granting
   * it, and its revoke reads ARM before this grant lands. The grant was then made for a raise that
   * is over and nobody else will remove it: take it back here. Never throws; the caller rethrows
   * the conflict. `made` is the raise as this grant was made for it (its mode and window).
   */
  async function takeBackLateGrant(made: LevelRaise, g: RaiseGrant): Promise<void> {
    if (g.status !== 'granted') return;
    let current: LevelRaise;
    try {
      current = await deps.store.get(made.id);
    } catch (err) {
      deps.logger?.error({ raise: made.id, role: g.roleName, scope: g.scope, reason: oneLine(err) }, 'level raise: a grant landed after a concurrent change and the raise could not be re-read');
      return;
    }
    if (current.state !== 'revoking' && current.state !== 'ended') return;
    const early = made.endsAt !== null && Date.parse(made.endsAt) > deps.clock().getTime();
    const problem = await removeGrant(made, g, early);
    deps.onRolesChanged?.(made.principalId);
    const grant = grantsFacts([{ ...g, status: problem === undefined ? 'removed' : g.status }])[0]!;
    if (problem !== undefined) {
      deps.logger?.error({ raise: made.id, role: g.roleName, scope: g.scope, assignment: g.roleAssignmentId ?? null, problem }, 'level raise: a grant made after the raise ended could not be removed');
    }
    const eventType = problem === undefined ? 'level-raise.late-grant-removed' : 'level-raise.late-grant-remove-failed';
    await deps.audit.append(raiseEntry(eventType, current, SYSTEM_ACTOR, { grant, ...(problem !== undefined ? { problem } : {}) }, problem === undefined ? 'removed' : 'failed')).catch((err: unknown) => {
      deps.logger?.error({ raise: made.id, eventType, grant, reason: oneLine(err) }, 'level raise: could not record a late grant');
    });
  }

  return { removeGrant, takeBackLateGrant };
}
