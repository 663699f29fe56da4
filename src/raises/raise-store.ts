import type { Database } from '../store/database.ts';
import type { LevelRaise, RaiseState } from './raise-types.ts';
import { RaiseConflictError, RaiseNotFoundError } from './raise-types.ts';

/** Level raises in SQLite (migrations/015_level_raises.sql); writes are version-checked. */
export interface RaiseStore {
  /**
   * Inserts `raise` unless `clash` finds, among the agent's open raises (pending, granting,
   * active), one it may not sit beside; then returns that one and inserts nothing. Read and insert
   * are one write transaction (BEGIN IMMEDIATE on SQLite, the write lock on PostgreSQL), so two
   * requests on any instances cannot both pass the check.
   */
  insertUnlessClashing(raise: LevelRaise, clash: (open: LevelRaise[]) => LevelRaise | undefined): Promise<LevelRaise | undefined>;
  /** The agent's open raises: pending, granting or active. */
  listOpenByAgent(agentId: string): Promise<LevelRaise[]>;
  get(id: string): Promise<LevelRaise>;
  /** Writes `next` if the stored row is still at `next.version`; returns it at version + 1. */
  update(next: LevelRaise): Promise<LevelRaise>;
  /**
   * update(), unless `next` puts the raise among the agent's open raises (pending, granting,
   * active) beside one `clash` finds there: then it throws RaiseConflictError (`raise_open`) and
   * writes nothing. Check and write are one write transaction, as insertUnlessClashing's, so a
   * raise taken back to pending cannot end up beside one asked for while it was closed.
   */
  updateUnlessClashing(next: LevelRaise, clash: (open: LevelRaise[]) => LevelRaise | undefined): Promise<LevelRaise>;
  listByAgent(agentId: string, limit?: number): Promise<LevelRaise[]>;
  listOpen(): Promise<LevelRaise[]>;
  listRecent(limit?: number): Promise<LevelRaise[]>;
}

const OPEN_BY_AGENT = "SELECT * FROM level_raises WHERE agent_id = ? AND state IN ('pending', 'granting', 'active') ORDER BY created_at, id";
const OPEN_BY_AGENT_STATES: readonly RaiseState[] = ['pending', 'granting', 'active'];

/** What a raise id can be: a UUID (raise-service.ts) or another short id of letters, digits and dashes. */
const RAISE_ID = /^[A-Za-z0-9-]{1,64}$/;

interface Row {
  id: string;
  agent_id: string;
  principal_id: string;
  resource_group_ids: string;
  target_level: string;
  duration_minutes: number;
  justification: string;
  requested_by: string;
  trigger_ref: string | null;
  state: string;
  mode: string | null;
  mode_reason: string | null;
  approvals: string;
  grants: string;
  created_at: string;
  pending_until: string;
  starts_at: string | null;
  ends_at: string | null;
  end_reason: string | null;
  ended_at: string | null;
  verified_at: string | null;
  revoke_attempts: number;
  next_attempt_at: string | null;
  last_error: string | null;
  version: number;
}

function fromRow(r: Row): LevelRaise {
  return {
    id: r.id,
    agentId: r.agent_id,
    principalId: r.principal_id,
    resourceGroupIds: JSON.parse(r.resource_group_ids) as string[],
    targetLevel: r.target_level as LevelRaise['targetLevel'],
    durationMinutes: r.duration_minutes,
    justification: r.justification,
    requestedBy: JSON.parse(r.requested_by) as LevelRaise['requestedBy'],
    triggerRef: r.trigger_ref,
    state: r.state as RaiseState,
    mode: r.mode as LevelRaise['mode'],
    modeReason: r.mode_reason,
    approvals: JSON.parse(r.approvals) as LevelRaise['approvals'],
    grants: JSON.parse(r.grants) as LevelRaise['grants'],
    createdAt: r.created_at,
    pendingUntil: r.pending_until,
    startsAt: r.starts_at,
    endsAt: r.ends_at,
    endReason: r.end_reason as LevelRaise['endReason'],
    endedAt: r.ended_at,
    verifiedAt: r.verified_at,
    revokeAttempts: r.revoke_attempts,
    nextAttemptAt: r.next_attempt_at,
    lastError: r.last_error,
    version: r.version,
  };
}

const COLUMNS = [
  'agent_id', 'principal_id', 'resource_group_ids', 'target_level', 'duration_minutes', 'justification', 'requested_by', 'trigger_ref', 'state', 'mode', 'mode_reason',
  'approvals', 'grants', 'created_at', 'pending_until', 'starts_at', 'ends_at', 'end_reason', 'ended_at', 'verified_at', 'revoke_attempts', 'next_attempt_at', 'last_error',
] as const;

function values(r: LevelRaise): Array<string | number | null> {
  return [
    r.agentId, r.principalId, JSON.stringify(r.resourceGroupIds), r.targetLevel, r.durationMinutes, r.justification, JSON.stringify(r.requestedBy), r.triggerRef, r.state, r.mode, r.modeReason,
    JSON.stringify(r.approvals), JSON.stringify(r.grants), r.createdAt, r.pendingUntil, r.startsAt, r.endsAt, r.endReason, r.endedAt, r.verifiedAt, r.revokeAttempts, r.nextAttemptAt, r.lastError,
  ];
}

const UPDATE = `UPDATE level_raises SET ${COLUMNS.map((c) => `${c} = ?`).join(', ')}, version = version + 1 WHERE id = ? AND version = ?`;
const concurrentChange = () => new RaiseConflictError('concurrent_change', 'the raise changed meanwhile; reload and try again');

export function createRaiseStore(db: Database): RaiseStore {
  return {
    async insertUnlessClashing(raise, clash) {
      // A raise stored under an id get() refuses could never be read, approved or ended.
      if (!RAISE_ID.test(raise.id)) throw new Error(`a level raise id must be 1 to 64 letters, digits or dashes: ${JSON.stringify(raise.id.slice(0, 80))}`);
      return db.transaction(async (tx) => {
        const open = (await tx.all<Row>(OPEN_BY_AGENT, [raise.agentId])).map(fromRow);
        const clashing = clash(open);
        if (clashing) return clashing;
        await tx.run(`INSERT INTO level_raises (id, ${COLUMNS.join(', ')}, version) VALUES (?, ${COLUMNS.map(() => '?').join(', ')}, 0)`, [raise.id, ...values(raise)]);
        return undefined;
      });
    },
    async listOpenByAgent(agentId) {
      return (await db.fresh.all<Row>(OPEN_BY_AGENT, [agentId])).map(fromRow);
    },
    async get(id) {
      // Answered before SQL: a NUL or other stray byte would be a 500 on PostgreSQL, not a 404. Not echoed.
      if (!RAISE_ID.test(id)) throw new RaiseNotFoundError('no level raise with that id');
      const row = await db.fresh.get<Row>('SELECT * FROM level_raises WHERE id = ?', [id]);
      if (!row) throw new RaiseNotFoundError(`no level raise ${JSON.stringify(id.slice(0, 80))}`);
      return fromRow(row);
    },
    async update(next) {
      const res = await db.run(UPDATE, [...values(next), next.id, next.version]);
      if (res.changes !== 1) throw concurrentChange();
      return { ...next, version: next.version + 1 };
    },
    async updateUnlessClashing(next, clash) {
      return db.transaction(async (tx) => {
        if (OPEN_BY_AGENT_STATES.includes(next.state)) {
          const clashing = clash((await tx.all<Row>(OPEN_BY_AGENT, [next.agentId])).map(fromRow).filter((r) => r.id !== next.id));
          if (clashing) throw new RaiseConflictError('raise_open', `the agent has another open raise (${clashing.id}, ${clashing.state}) on ${clashing.resourceGroupIds.join(', ')}`);
        }
        const res = await tx.run(UPDATE, [...values(next), next.id, next.version]);
        if (res.changes !== 1) throw concurrentChange();
        return { ...next, version: next.version + 1 };
      });
    },
    async listByAgent(agentId, limit = 50) {
      return (await db.fresh.all<Row>('SELECT * FROM level_raises WHERE agent_id = ? ORDER BY created_at DESC, id LIMIT ?', [agentId, limit])).map(fromRow);
    },
    async listOpen() {
      return (await db.fresh.all<Row>("SELECT * FROM level_raises WHERE state IN ('pending', 'granting', 'active', 'revoking') ORDER BY created_at, id")).map(fromRow);
    },
    async listRecent(limit = 100) {
      return (await db.fresh.all<Row>('SELECT * FROM level_raises ORDER BY created_at DESC, id LIMIT ?', [limit])).map(fromRow);
    },
  };
}
