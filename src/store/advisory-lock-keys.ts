/**
 * Every PostgreSQL advisory lock Elevate takes, in one place so that no two uses share a key.
 * - The two-int4 form, in Elevate's namespace ('Elev' in ASCII). Keys 1 and 2 are held per
 *   transaction (pg_advisory_xact_lock) by the migration runner (postgres-migrations.ts
 *   MIGRATION_LOCK) and by every write (postgres-database.ts WRITE_LOCK_KEY); the singleton jobs'
 *   keys, from 3, are held per session by their leader (postgres-singleton-leases.ts).
 * - The single-bigint form, a key space PostgreSQL keeps apart from the two-int4 one (the same
 *   64 bits never name the same lock in both forms): one key per running instance, derived from
 *   its id (instanceLivenessKey), held per session for the instance's whole life
 *   (postgres-instance-liveness.ts). Another application using bigint keys on the same database
 *   could collide with one only by a 2^-64 chance per key.
 * https://www.postgresql.org/docs/15/functions-admin.html#FUNCTIONS-ADVISORY-LOCKS
 */
import { createHash } from 'node:crypto';

export const ADVISORY_LOCK_NAMESPACE = 0x456c6576;

export const MIGRATION_LOCK_ID = 1;
export const WRITE_LOCK_ID = 2;

/** The background jobs that must run on one instance at a time, with their lock ids. Never reuse an id. */
export const SINGLETON_JOB_LOCK_IDS = {
  /** operations/expiry-sweeper.ts: expires waiting requests whose time is up. */
  'expiry-sweeper': 3,
  /** operations/execution-reconciler.ts: follows executions a stop interrupted. */
  'execution-reconciler': 4,
  /** audit/audit-checkpointer.ts: the scheduled checkpoint of the chain head. */
  'audit-checkpointer': 5,
  /** levels/inventory-service.ts: the scheduled inventory refresh. */
  'inventory-refresh': 6,
  /** audit/audit-retention.ts: archives and deletes expired entries. */
  'audit-retention': 7,
  /** notifications/notification-dispatcher.ts: delivers the outbox. */
  'notification-dispatcher': 8,
  /** approvals/token-reconciler.ts: settles one-time tokens a stop left open. */
  'token-reconciler': 9,
  /** raises/raise-sweeper.ts: ends raises on time and resumes interrupted grants and revokes. */
  'raise-sweeper': 10,
} as const;

export type SingletonJob = keyof typeof SINGLETON_JOB_LOCK_IDS;

/**
 * The single-bigint advisory-lock key of the instance `instanceId`: the first 8 bytes of
 * SHA-256("elevate-instance:" + id), as a signed 64-bit integer in decimal (pg sends it as text).
 */
export function instanceLivenessKey(instanceId: string): string {
  const digest = createHash('sha256').update(`elevate-instance:${instanceId}`).digest();
  return digest.readBigInt64BE(0).toString();
}
