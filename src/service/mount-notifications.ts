/**
 * Notifications in the running service (src/notifications): the outbox the operations and
 * approvals modules write through, and the dispatcher, started once the routes are mounted and
 * stopped at shutdown. A channel whose environment variable is missing stops start-up here.
 */
import type { AuditSink } from '../operations/request-lifecycle.ts';
import { createNotificationsModule, NotificationConfigError, type NotificationsModule } from '../notifications/notifications-module.ts';
import type { ServiceContext } from './service-context.ts';
import { ServiceStartError } from './service-start-error.ts';

export function mountNotifications(ctx: ServiceContext, deps: { audit: AuditSink }): NotificationsModule {
  let notifications: NotificationsModule;
  try {
    notifications = createNotificationsModule({
      db: ctx.store,
      policy: ctx.policies.notifications,
      settings: ctx.config.notifications,
      baseUrl: ctx.publicUrl ?? ctx.config.http.publicUrl ?? `http://${ctx.config.http.host}:${ctx.config.http.port}`,
      audit: deps.audit,
      logger: ctx.logger.child({ component: 'notifications' }),
      leases: ctx.leases,
    });
  } catch (err) {
    if (err instanceof NotificationConfigError) throw new ServiceStartError(err.message);
    throw err;
  }
  ctx.onShutdown(() => notifications.close());
  if (notifications.channels.length > 0) ctx.logger.info({ channels: notifications.channels }, 'notifications enabled');
  return notifications;
}
