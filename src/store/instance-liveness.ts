/**
 * Which process this is, and whether another one is still running: the port the reconcilers ask
 * before ending what a process left half-done (issue 16). An execution's intent and a one-time
 * token's row carry the id of the instance that wrote them (migration 018); a row whose instance
 * is alive is that instance's to finish, never the reconciler's.
 *
 * With one process per database (SQLite, `npm start`) the only live instance is this one: that is
 * the in-process implementation here, and SQLite behaviour is unchanged. On PostgreSQL each
 * instance holds an advisory lock named by its id for as long as its session lives
 * (postgres-instance-liveness.ts).
 */
import { randomUUID } from 'node:crypto';

export interface InstanceLiveness {
  /** This process's id, new at each start (a restarted process is another instance). */
  readonly id: string;
  /**
   * Whether the instance `otherId` is still running. Fails safe: when it cannot be told, the
   * answer is "alive", so a reconciler skips the row (nothing is ended under a live instance) and
   * tries again on its next pass.
   */
  isAlive(otherId: string): Promise<boolean>;
}

/** One process per database: alive iff it is this process. */
export function createInProcessLiveness(id: string = randomUUID()): InstanceLiveness {
  return { id, isAlive: async (otherId) => otherId === id };
}

/**
 * Whether a row written by `owner` belongs to a live instance other than this one: such a row is
 * left alone. Own rows and rows of no instance (before migration 018) or of a dead one are not.
 */
export async function ownedByAnotherLiveInstance(liveness: InstanceLiveness, owner: string | null | undefined): Promise<boolean> {
  if (!owner || owner === liveness.id) return false;
  return liveness.isAlive(owner);
}
