/**
 * Which channels an event goes to (pure): every enabled route whose filters all match names its
 * channels; a matching quiet rule silences the event. Channels that are disabled are skipped, and
 * a channel two routes name is sent to once.
 */
import type { NotificationRoute, NotificationsPolicy, QuietRule } from '../policies/notifications-schema.ts';
import type { NotificationEvent } from './notification-event.ts';

export interface RoutedDelivery {
  route: string;
  channel: string;
}

type Filters = Pick<NotificationRoute, 'events' | 'agents' | 'triggerKinds' | 'runModes'>;

function agentOf(event: NotificationEvent): { id?: string | undefined; name?: string | undefined } {
  if (event.request) return { id: event.request.agentId, name: event.request.agentName };
  if (event.drift) return { id: event.drift.agentId, name: event.drift.agentName };
  return {};
}

export function matches(filters: Filters, event: NotificationEvent): boolean {
  if (!filters.events.includes(event.type)) return false;
  if (filters.agents) {
    const agent = agentOf(event);
    const names = filters.agents.map((a) => a.toLowerCase());
    if (!names.some((n) => n === agent.id?.toLowerCase() || n === agent.name?.toLowerCase())) return false;
  }
  if (filters.triggerKinds && (!event.request || !filters.triggerKinds.includes(event.request.triggerKind))) return false;
  if (filters.runModes && (!event.request || !filters.runModes.includes(event.request.runMode))) return false;
  return true;
}

/** Minutes since midnight UTC. */
const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Whether `at` falls in [from, to) UTC; a window past midnight (22:00-07:00) wraps. */
export function inWindow(between: { from: string; to: string }, at: Date): boolean {
  const now = at.getUTCHours() * 60 + at.getUTCMinutes();
  const from = minutesOf(between.from);
  const to = minutesOf(between.to);
  if (from === to) return true;
  return from < to ? now >= from && now < to : now >= from || now < to;
}

export function isQuiet(rules: readonly QuietRule[], event: NotificationEvent, at: Date): QuietRule | undefined {
  return rules.find((q) => matches(q, event) && (!q.between || inWindow(q.between, at)));
}

export function routeEvent(policy: NotificationsPolicy, event: NotificationEvent, at: Date): RoutedDelivery[] {
  if (isQuiet(policy.quiet, event, at)) return [];
  const out: RoutedDelivery[] = [];
  const taken = new Set<string>();
  for (const route of policy.routes) {
    if (!route.enabled || !matches(route, event)) continue;
    for (const channel of route.channels) {
      if (taken.has(channel) || !policy.channels[channel]?.enabled) continue;
      taken.add(channel);
      out.push({ route: route.name, channel });
    }
  }
  return out;
}
