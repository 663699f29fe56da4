import { parseDocument } from 'yaml';
import { checkNotifications, notificationsSchema, type NotificationsPolicy } from '../../../src/policies/notifications-schema.ts';

/** A notifications.yaml text as the policy loader would accept it (throws on any fault). */
export function parseNotificationsYaml(text: string): NotificationsPolicy {
  const data = notificationsSchema.parse(parseDocument(text).toJS());
  const issues = checkNotifications(data);
  if (issues.length > 0) throw new Error(issues.map((i) => i.message).join('; '));
  return data;
}
