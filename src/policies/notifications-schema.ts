import { z } from 'zod';
import { RUN_MODES, TRIGGER_KINDS } from './policy-types.ts';
import { orList, strictMapping } from './policy-schema-parts.ts';

/**
 * notifications.yaml: who hears of what, and where (src/notifications). Secrets and webhook URLs
 * are never written here: a channel names the environment variable that holds them. Only names
 * under ELEVATE_NOTIFY_ may be referenced, so a policy edit cannot send another setting (such as
 * AZURE_CLIENT_SECRET) to a webhook as its URL or key.
 */

export const NOTIFICATION_EVENT_TYPES = [
  'request.raised',
  'approval.recorded',
  'request.executed',
  'request.failed',
  'request.denied',
  'request.expired',
  'drift.found',
  'audit.verification_failed',
] as const;
export type NotificationEventType = (typeof NOTIFICATION_EVENT_TYPES)[number];

export const CHANNEL_TYPES = ['teams', 'slack', 'email', 'webhook'] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

export const NOTIFY_ENV_NAME = /^ELEVATE_NOTIFY_[A-Z0-9_]{1,64}$/;

const envName = z
  .string({ error: 'expected the name of an environment variable such as ELEVATE_NOTIFY_TEAMS_URL' })
  // A refinement, not .regex: a format error would quote the value, which may be the pasted secret.
  .refine((v) => NOTIFY_ENV_NAME.test(v), 'expected the name of an environment variable starting with ELEVATE_NOTIFY_ (the value itself never goes in this file)');

const name = z
  .string({ error: 'expected a name' })
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'expected a lower-case name of letters, digits and dashes');

const email = z.email({ error: 'expected an email address' });
const enabled = z.boolean({ error: 'expected true or false' }).default(true);

const teams = strictMapping({ type: z.literal('teams'), enabled, urlEnv: envName });
const slack = strictMapping({ type: z.literal('slack'), enabled, urlEnv: envName });
const mail = strictMapping({
  type: z.literal('email'),
  enabled,
  /** smtp:// or smtps:// URL, credentials included, in the environment */
  smtpUrlEnv: envName,
  from: email,
  to: z.array(email, { error: 'expected a list of email addresses' }).min(1, 'expected at least one recipient').max(50, 'expected at most 50 recipients'),
});
const webhook = strictMapping({ type: z.literal('webhook'), enabled, urlEnv: envName, secretEnv: envName });

const channel = z.discriminatedUnion('type', [teams, slack, mail, webhook], { error: `expected a channel with type ${orList(CHANNEL_TYPES)}` });

const eventType = z.enum(NOTIFICATION_EVENT_TYPES, { error: `expected an event: ${orList(NOTIFICATION_EVENT_TYPES)}` });
const filters = {
  events: z.array(eventType, { error: 'expected a list of events' }).min(1, 'expected at least one event'),
  /** agent names (or ids); absent: every agent */
  agents: z.array(z.string().min(1).max(128), { error: 'expected a list of agent names' }).optional(),
  triggerKinds: z.array(z.enum(TRIGGER_KINDS, { error: `expected a trigger kind: ${orList(TRIGGER_KINDS)}` })).optional(),
  runModes: z.array(z.enum(RUN_MODES, { error: `expected a run mode: ${orList(RUN_MODES)}` })).optional(),
};

const hhmm = z.string({ error: 'expected a time such as 22:00' }).regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected a time such as 22:00 (24-hour, UTC)');

const route = strictMapping({ name, enabled, ...filters, channels: z.array(name, { error: 'expected a list of channel names' }).min(1, 'expected at least one channel') });
const quiet = strictMapping({ name, ...filters, between: strictMapping({ from: hhmm, to: hhmm }).optional() });

export const notificationsSchema = strictMapping({
  channels: z.record(name, channel, { error: 'expected a mapping of channel names to channels' }).default({}),
  routes: z.array(route, { error: 'expected a list of routes' }).max(100, 'expected at most 100 routes').default([]),
  quiet: z.array(quiet, { error: 'expected a list of quiet rules' }).max(100, 'expected at most 100 quiet rules').default([]),
});

export type NotificationsFile = z.infer<typeof notificationsSchema>;
export type NotificationChannel = NotificationsFile['channels'][string];
export type NotificationRoute = NotificationsFile['routes'][number];
export type QuietRule = NotificationsFile['quiet'][number];
export type NotificationsPolicy = NotificationsFile;

export const NO_NOTIFICATIONS: NotificationsPolicy = Object.freeze({ channels: {}, routes: [], quiet: [] });

/** Routes may only name channels the file defines; names are unique. */
export function checkNotifications(data: NotificationsFile): Array<{ path: Array<string | number>; message: string }> {
  const issues: Array<{ path: Array<string | number>; message: string }> = [];
  const seen = new Set<string>();
  data.routes.forEach((r, i) => {
    if (seen.has(r.name)) issues.push({ path: ['routes', i, 'name'], message: `a second route named '${r.name}'` });
    seen.add(r.name);
    r.channels.forEach((c, j) => {
      if (!(c in data.channels)) issues.push({ path: ['routes', i, 'channels', j], message: `unknown channel '${c}'; expected one of the channels defined under channels` });
    });
  });
  return issues;
}

/** The environment variables enabled routes need through enabled channels, each with where it is named. */
export function requiredNotificationEnv(policy: NotificationsPolicy): Array<{ env: string; channel: string }> {
  const out: Array<{ env: string; channel: string }> = [];
  const used = new Set(policy.routes.filter((r) => r.enabled).flatMap((r) => r.channels));
  for (const [channelName, c] of Object.entries(policy.channels)) {
    if (!c.enabled || !used.has(channelName)) continue;
    if (c.type === 'email') out.push({ env: c.smtpUrlEnv, channel: channelName });
    else out.push({ env: c.urlEnv, channel: channelName });
    if (c.type === 'webhook') out.push({ env: c.secretEnv, channel: channelName });
  }
  return out;
}
