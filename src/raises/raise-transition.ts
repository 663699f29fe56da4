/**
 * A raise's change and its audit entry, in that order. The raise row is written first, version
 * checked: of two instances changing one raise at once only one gets past that write, and only it
 * records anything, so the log never holds a change the store refused (two contradictory
 * decisions for one raise). The loser gets the store's RaiseConflictError (`concurrent_change`)
 * having recorded nothing; what it then records, if anything, is its caller's (a refusal for a
 * person's decision, raise-decisions.ts; nothing for the sweeper, whose next pass sees the winner).
 *
 * The audit log has no transaction with the store. If the entry cannot be appended, the change is
 * taken back (a version-checked write of the raise as it was, on the version this change made) and
 * the caller gets the audit error: no change stands without its entry. A raise taken back from
 * closed to pending is written with the request's overlap check, so it cannot end up beside a raise
 * asked for meanwhile; if it cannot be taken back it stays closed, which acts on nothing.
 *
 * Between the write and its entry another instance can see the change. A closed raise is acted on
 * by nobody, and an end or a failed grant only ever leads to grants being removed. The one change
 * others would act on, an approval (it counts toward the next and makes grants), is written as not
 * yet on record and handled by raise-decisions.ts.
 */
import type { AuditAppender } from '../agents/agent-registry.ts';
import type { AuditActor, JsonObject } from '../audit/audit-types.ts';
import type { Logger } from '../observability/logger.ts';
import { raiseEntry } from './raise-audit.ts';
import { oneLine } from './raise-grant-removal.ts';
import { overlappingRaise } from './raise-request-check.ts';
import { applyRaiseEvent, type RaiseEvent } from './raise-state-machine.ts';
import type { RaiseStore } from './raise-store.ts';
import type { LevelRaise } from './raise-types.ts';

export interface RaiseTransitionDeps {
  store: Pick<RaiseStore, 'update' | 'updateUnlessClashing'>;
  audit: AuditAppender;
  logger?: Logger | undefined;
}

export interface RaiseTransitions {
  /** Applies `event`: the version-checked write, then its entry (`eventType`); taken back if the entry fails. */
  step(raise: LevelRaise, event: RaiseEvent, eventType: string, actor: AuditActor, extra?: JsonObject): Promise<LevelRaise>;
  /** Writes `before` back over `changed` (the change this caller made), whose entry could not be appended. Never throws. */
  revert(changed: LevelRaise, before: LevelRaise, eventType: string): Promise<void>;
}

export function createRaiseTransitions(deps: RaiseTransitionDeps): RaiseTransitions {
  async function revert(changed: LevelRaise, before: LevelRaise, eventType: string): Promise<void> {
    try {
      await deps.store.updateUnlessClashing({ ...before, version: changed.version }, overlappingRaise(before.resourceGroupIds));
    } catch (err) {
      deps.logger?.error({ raise: before.id, eventType, state: changed.state, reason: oneLine(err) }, 'level raise: the audit log refused an entry and the change could not be taken back');
    }
  }

  return {
    revert,
    async step(raise, event, eventType, actor, extra = {}) {
      const changed = await deps.store.update(applyRaiseEvent(raise, event));
      try {
        await deps.audit.append(raiseEntry(eventType, changed, actor, extra));
      } catch (err) {
        await revert(changed, raise, eventType);
        throw err;
      }
      return changed;
    },
  };
}
