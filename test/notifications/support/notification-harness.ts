/**
 * The notification outbox and dispatcher over a real SQLite store and audit log, with the request
 * store and lifecycle the service uses, and local receivers for every channel. Channel URLs carry
 * a secret path, as real Teams/Slack URLs do, so the leak scans can look for it.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuditLog, type AuditLog } from '../../../src/audit/audit-log.ts';
import type { AuditInput } from '../../../src/audit/audit-types.ts';
import { createNotificationsModule, type NotificationsModule } from '../../../src/notifications/notifications-module.ts';
import { createOperationRequestStore, type OperationRequestStore } from '../../../src/operations/operation-request-store.ts';
import type { OperationRequest } from '../../../src/operations/operation-types.ts';
import { createRequestLifecycle, type RequestLifecycle } from '../../../src/operations/request-lifecycle.ts';
import { createRequestNotifier, type RequestNotifier } from '../../../src/operations/request-notifier.ts';
import type { NotificationsPolicy } from '../../../src/policies/notifications-schema.ts';
import type { Database } from '../../../src/store/database.ts';
import { parseConfig } from '../../../src/config/load-config.ts';
import { openConfiguredStore } from '../../../src/store/open-store.ts';
import { testStoreEnv } from '../../support/test-store.ts';
import { ALL_CHANNELS_POLICY, pendingRequest } from './notification-fixtures.ts';
import { startHttpReceiver, startMailReceiver, type HttpReceiver, type MailReceiver } from './receivers.ts';

export const BASE_URL = 'https://elevate.contoso.test';
export const HOOK_SECRET = 'whsec-5b1d0c9e7f3a4b2c8d6e0f1a2b3c4d5e';
export const SECRET_PATH = 'XyZ-secret-path-token-4242';

export interface NotificationHarness {
  dbPath: string;
  db: Database;
  auditLog: AuditLog;
  http: HttpReceiver;
  mail: MailReceiver;
  env: Record<string, string>;
  notifications: NotificationsModule;
  store: OperationRequestStore;
  lifecycle: RequestLifecycle;
  notifier: RequestNotifier;
  setAuditFailing(failing: boolean): void;
  raise(overrides?: Partial<OperationRequest>): Promise<OperationRequest>;
  /** a second module on the same database file (a restarted process) */
  restart(options?: { start?: boolean }): Promise<void>;
  notificationAudit(): Promise<Array<{ eventType: string; subject: string | null; details: Record<string, unknown> }>>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  policy?: NotificationsPolicy;
  maxAttempts?: number;
  retryBaseMs?: number;
  timeoutMs?: number;
  /** start the dispatcher (default true) */
  start?: boolean;
}

export async function createNotificationHarness(options: HarnessOptions = {}): Promise<NotificationHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'elevate-notify-'));
  const dbPath = join(dir, 'elevate.db');
  const store = await testStoreEnv(dbPath, 'elevate_notify');
  const open = () => openConfiguredStore(parseConfig(store.env));
  let db = await open();
  const now = new Date().toISOString();
  await db.run(
    `INSERT INTO agents (id, name, uami_client_id, uami_principal_id, tenant_id, level, run_mode_ceiling, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'Reader', 'Autonomous', ?, ?)`,
    ['agent-1', 'sre-agent', randomUUID(), randomUUID(), randomUUID(), now, now],
  );
  const [http, mail] = await Promise.all([startHttpReceiver(), startMailReceiver()]);
  const env: Record<string, string> = {
    ELEVATE_NOTIFY_TEAMS_URL: `${http.url}/teams/${SECRET_PATH}`,
    ELEVATE_NOTIFY_SLACK_URL: `${http.url}/slack/${SECRET_PATH}`,
    ELEVATE_NOTIFY_HOOK_URL: `${http.url}/hook/${SECRET_PATH}`,
    ELEVATE_NOTIFY_HOOK_SECRET: HOOK_SECRET,
    ELEVATE_NOTIFY_SMTP_URL: mail.url,
  };
  let auditFailing = false;
  let auditLog = createAuditLog(db);
  const audit = {
    append(input: AuditInput) {
      if (auditFailing) return Promise.reject(Object.assign(new Error('audit entry not recorded: disk full'), { name: 'AuditAppendError' }));
      return auditLog.append(input);
    },
  };
  const build = (startIt: boolean) => {
    const notifications = createNotificationsModule({
      db,
      policy: options.policy ?? ALL_CHANNELS_POLICY,
      settings: { maxAttempts: options.maxAttempts ?? 5, retryBaseMs: options.retryBaseMs ?? 40, retryMaxMs: 400, timeoutMs: options.timeoutMs ?? 2000, secret: (n) => env[n] },
      baseUrl: BASE_URL,
      audit,
      idleMs: 200,
    });
    const notifier = createRequestNotifier({ maxWaiters: 10 });
    const store = createOperationRequestStore(db, { outbox: notifications.outbox });
    const lifecycle = createRequestLifecycle({ store, audit, notifier, clock: () => new Date(), ttlSeconds: 3600 });
    notifications.listenTo(notifier);
    if (startIt) notifications.start();
    return { notifications, notifier, store, lifecycle };
  };
  let parts = build(options.start ?? true);
  const h: NotificationHarness = {
    dbPath,
    get db() {
      return db;
    },
    get auditLog() {
      return auditLog;
    },
    http,
    mail,
    env,
    get notifications() {
      return parts.notifications;
    },
    get store() {
      return parts.store;
    },
    get lifecycle() {
      return parts.lifecycle;
    },
    get notifier() {
      return parts.notifier;
    },
    setAuditFailing(failing) {
      auditFailing = failing;
    },
    async raise(overrides = {}) {
      const at = new Date();
      const request = pendingRequest({
        id: randomUUID(),
        idempotencyKey: randomUUID(),
        operationHash: 'a'.repeat(64),
        createdAt: at.toISOString(),
        updatedAt: at.toISOString(),
        expiresAt: new Date(at.getTime() + 3600_000).toISOString(),
        ...overrides,
      });
      // As the operations service does: audit first, then insert, then wake readers.
      await audit.append({ actor: { kind: 'agent', id: 'agent-1' }, eventType: 'operation.requested', requestId: request.id });
      if (!(await parts.store.insert({ request, submissionHash: 'b'.repeat(64) }))) throw new Error('insert refused');
      parts.notifier.notify(request.id);
      return request;
    },
    async restart({ start = true } = {}) {
      await parts.notifications.close();
      await db.close();
      db = await open();
      auditLog = createAuditLog(db);
      parts = build(start);
    },
    async notificationAudit() {
      const page = await auditLog.list({}, { limit: 1000 });
      return page.entries
        .filter((e) => e.eventType.startsWith('notification.'))
        .reverse()
        .map((e) => ({ eventType: e.eventType, subject: e.subject, details: e.details as Record<string, unknown> }));
    },
    async close() {
      await parts.notifications.close();
      await Promise.all([http.close(), mail.close()]);
      await db.close();
      await store.drop();
    },
  };
  return h;
}
