/**
 * Wires the auditor capability from the configuration: the searchable log, signed checkpoints
 * (when ELEVATE_AUDIT_CHECKPOINT_KEY is set; the key file is created 0600 if missing; every
 * ELEVATE_AUDIT_CHECKPOINT_EVERY entries and each ELEVATE_AUDIT_CHECKPOINT_INTERVAL_SECONDS in
 * which entries were added; also written to ELEVATE_AUDIT_CHECKPOINT_DIR and
 * ELEVATE_AUDIT_CHECKPOINT_BLOB_URL when set), retention
 * (when ELEVATE_AUDIT_RETENTION_DAYS is set; it needs the key, because archives are sealed),
 * the refusal recorder and the verifier. The web layer mounts it with mountAuditWeb.
 */
import type { TokenCredential } from '@azure/core-auth';
import type { Config } from '../config/load-config.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Database } from '../store/database.ts';
import { CheckpointKeyError, loadCheckpointKey } from './audit-checkpoint-key.ts';
import { createExternalCheckpointStores } from './audit-checkpoint-stores.ts';
import { createCheckpointStore } from './audit-checkpoint-store.ts';
import { createCheckpointer, type Checkpointer, type Scheduler } from './audit-checkpointer.ts';
import { createAuditLog, type AuditLog } from './audit-log.ts';
import { createOverviewSource, type OverviewSource } from './audit-overview-source.ts';
import { createAuditQuery, type AuditQuery } from './audit-query.ts';
import { collapsingAudit, createRefusalRecorder, type RefusalRecorder } from './audit-refusals.ts';
import { archiveExpired, type ArchiveResult } from './audit-retention.ts';
import type { AuditInput } from './audit-types.ts';
import { createAuditVerifier, type AuditVerifier } from './audit-verifier.ts';
import { leaderOnly, type SingletonLeases } from '../store/singleton-leases.ts';

export interface AuditModuleDeps {
  db: Database;
  config: Config['audit'];
  logger?: Logger;
  metrics?: Pick<Metrics, 'auditAppends'>;
  clock?: () => Date;
  /** Elevate's service credential: writes checkpoints to the Blob container when one is configured. */
  credential?: TokenCredential;
  /** Drives the scheduled checkpoints (default: an unref'd setInterval). */
  checkpointScheduler?: Scheduler;
  /** How often retention runs (default 6 h). */
  retentionIntervalMs?: number;
  /** Several instances: only the leaders run the scheduled checkpoints and retention (default: this instance). */
  leases?: SingletonLeases | undefined;
}

export interface AuditModule {
  /** The audit log, checkpointing as appends cross ELEVATE_AUDIT_CHECKPOINT_EVERY. */
  audit: AuditLog;
  /** An append-only sink that collapses refusal floods: give it to sign-in and the agent authenticator. */
  refusalSink: { append(input: AuditInput): Promise<unknown> };
  recorder: RefusalRecorder;
  query: AuditQuery;
  overview: OverviewSource;
  verifier: AuditVerifier;
  checkpointer: Checkpointer | undefined;
  /** One readiness check per external checkpoint store: it answers (directory exists, container reachable with Elevate's credential). */
  readiness: Array<{ name: string; check: () => Promise<void> }>;
  /** Archives what has expired now; throws when retention is not configured. */
  runRetention(): Promise<ArchiveResult | undefined>;
  /** Starts the checkpoint, retention and refusal-flush timers (all unref'd). */
  start(): void;
  /** Stops the timers and flushes pending refusal counts. */
  close(): Promise<void>;
}

export class AuditConfigError extends Error {
  override name = 'AuditConfigError';
}

export function createAuditModule(deps: AuditModuleDeps): AuditModule {
  const clock = deps.clock ?? (() => new Date());
  const { config } = deps;
  const base = createAuditLog(deps.db, { clock, ...(deps.logger ? { logger: deps.logger } : {}), ...(deps.metrics ? { metrics: deps.metrics } : {}) });

  let checkpointer: Checkpointer | undefined;
  if (!config.checkpointKeyPath && (config.checkpointDir || config.checkpointBlobUrl)) {
    throw new AuditConfigError(`${config.checkpointDir ? 'ELEVATE_AUDIT_CHECKPOINT_DIR' : 'ELEVATE_AUDIT_CHECKPOINT_BLOB_URL'}: checkpoint stores need ELEVATE_AUDIT_CHECKPOINT_KEY, which signs the checkpoints`);
  }
  if (config.checkpointKeyPath) {
    let key;
    try {
      key = loadCheckpointKey(config.checkpointKeyPath, { create: true });
    } catch (err) {
      if (err instanceof CheckpointKeyError) throw new AuditConfigError(`ELEVATE_AUDIT_CHECKPOINT_KEY: ${err.message}`);
      throw err;
    }
    let externals;
    try {
      externals = createExternalCheckpointStores(config, { create: true, ...(deps.credential ? { credential: deps.credential } : {}) });
    } catch (err) {
      throw new AuditConfigError((err as Error).message);
    }
    const store = createCheckpointStore(deps.db, config.archiveDir, externals);
    checkpointer = createCheckpointer({
      db: deps.db,
      key,
      store,
      every: config.checkpointEvery,
      clock,
      ...(deps.logger ? { logger: deps.logger } : {}),
      ...(deps.checkpointScheduler ? { scheduler: deps.checkpointScheduler } : {}),
      leases: deps.leases,
    });
  }
  if (config.retentionDays !== undefined && !checkpointer) {
    throw new AuditConfigError('ELEVATE_AUDIT_RETENTION_DAYS: retention needs ELEVATE_AUDIT_CHECKPOINT_KEY, because archives are sealed with a signed checkpoint');
  }

  const audit = checkpointer ? checkpointer.observe(base) : base;
  const recorder = createRefusalRecorder(audit, clock, deps.logger ? { logger: deps.logger } : {});
  const verifier = createAuditVerifier({
    db: deps.db,
    checkpoints: checkpointer ? { key: checkpointer.key, store: checkpointer.store, every: config.checkpointEvery, intervalSeconds: config.checkpointIntervalSeconds } : undefined,
    clock,
  });

  let retentionRun: Promise<ArchiveResult | undefined> | undefined;
  const runRetention = () => {
    if (config.retentionDays === undefined || !checkpointer) return Promise.reject(new AuditConfigError('ELEVATE_AUDIT_RETENTION_DAYS is not set'));
    const days = config.retentionDays;
    const signer = checkpointer;
    retentionRun ??= archiveExpired({ db: deps.db, audit, checkpointer: signer, archiveDir: config.archiveDir, retentionDays: days, clock, ...(deps.logger ? { logger: deps.logger } : {}) }).finally(() => {
      retentionRun = undefined;
    });
    return retentionRun;
  };

  let retentionTimer: NodeJS.Timeout | undefined;
  return {
    audit,
    refusalSink: collapsingAudit(audit, recorder),
    recorder,
    query: createAuditQuery(deps.db),
    overview: createOverviewSource(deps.db, { clock }),
    verifier,
    checkpointer,
    readiness: (checkpointer?.store.externals ?? []).map((store, i) => ({ name: `audit-checkpoint-store-${i + 1}`, check: () => store.probe() })),
    runRetention,
    start() {
      recorder.start();
      checkpointer?.start(config.checkpointIntervalSeconds);
      if (config.retentionDays !== undefined && !retentionTimer) {
        const scheduledRetention = leaderOnly(deps.leases, 'audit-retention', runRetention, undefined);
        const tick = () => {
          scheduledRetention().catch((err: unknown) => deps.logger?.error({ reason: (err as Error).message }, 'audit retention failed; nothing was deleted'));
        };
        retentionTimer = setInterval(tick, deps.retentionIntervalMs ?? 6 * 3_600_000);
        retentionTimer.unref();
        setImmediate(tick);
      }
    },
    async close() {
      checkpointer?.stop();
      if (retentionTimer) clearInterval(retentionTimer);
      retentionTimer = undefined;
      await retentionRun?.catch(() => undefined);
      await recorder.close().catch(() => undefined);
      // Cover what was appended since the last tick (flushed refusals included): a clean stop
      // leaves no entry waiting outside the window.
      await checkpointer?.tick().catch((err: unknown) => deps.logger?.error({ reason: (err as Error).message }, 'audit checkpoint at shutdown failed'));
    },
  };
}
