/**
 * A raise as another instance leaves it between winning an approval (its version-checked write)
 * and appending the approval's entry: `granting`, the approval not yet on record. For the tests of
 * what a page or the CLI answers to a decision taken meanwhile, which cannot hold a service or a
 * CLI process at that point.
 */
import { createAuditLog } from '../../../src/audit/audit-log.ts';
import { createRaiseStore } from '../../../src/raises/raise-store.ts';
import type { Database } from '../../../src/store/database.ts';

/** What a decision taken meanwhile is told (raise-decisions.ts). */
export const IN_FLIGHT = 'another decision on this raise is being recorded: reload the raise in a moment';

export async function approvalInFlightElsewhere(db: Database, raiseId: string, at: Date): Promise<void> {
  const store = createRaiseStore(db);
  const r = await store.get(raiseId);
  await store.update({
    ...r,
    state: 'granting',
    approvals: [{ approverId: 'aaaaaaaa-0000-4000-8000-0000000000ff', approverName: 'other.admin@contoso', at: at.toISOString(), reason: null, recorded: false }],
    startsAt: at.toISOString(),
    endsAt: new Date(at.getTime() + r.durationMinutes * 60_000).toISOString(),
  });
}

/** The raise's decisions and refusals on record (refusals oldest first). */
export async function refusalsOf(db: Database, raiseId: string) {
  const entries = (await createAuditLog(db).list({ requestId: raiseId }, { limit: 100 })).entries;
  return {
    decisions: entries.filter((e) => ['level-raise.approved', 'level-raise.denied'].includes(e.eventType)),
    refused: [...entries].reverse().filter((e) => e.eventType === 'level-raise.refused').map((e) => ({ by: e.actor.id, outcome: e.outcome, ...(e.details as { decision: string; code: string; message: string }) })),
  };
}
