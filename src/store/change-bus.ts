/**
 * The port through which one instance tells the others that something changed, so that waiting
 * readers (long-polls, the /approvals live list, the notification dispatcher) wake at once on
 * every instance instead of polling. A message is a channel name and one id (a request id, an
 * agent's wait key): never a token, never text an agent wrote. Receivers re-read what the id
 * names from the database; a message is only a hint to look.
 *
 * The in-process implementation here is what one instance (SQLite) needs: subscribers hear
 * publishes of this process, at once. The PostgreSQL one (postgres-change-bus.ts) carries them
 * through LISTEN/NOTIFY as well.
 */

export interface ChangeSubscriber {
  /** `id` changed, on this instance or another. Must not throw (a throw is ignored). */
  changed(id: string): void;
  /**
   * Messages may have been missed (the bus lost its connection and is back): re-check everything
   * the subscriber waits on. Must not throw.
   */
  resync(): void;
}

export interface ChangeBus {
  /**
   * Tells every subscriber of `channel`, on every instance, that `id` changed. This process's
   * subscribers hear it before this returns; the promise settles when the message is handed to
   * the other instances (it rejects when it could not be: they will not wake for it).
   */
  publish(channel: string, id: string): Promise<void>;
  /** Returns the unsubscribe function. */
  subscribe(channel: string, subscriber: ChangeSubscriber): () => void;
  close(): Promise<void>;
}

export class ChangeBusError extends Error {
  override name = 'ChangeBusError';
}

/** Channel names are fixed identifiers in code: lower-case, so also a valid PostgreSQL LISTEN channel. */
const CHANNEL = /^elevate_[a-z0-9_]{1,40}$/;
/** Ids: request ids (UUIDs), agent wait keys (`incidents:<agent id>`). Short and plain, so nothing else fits. */
const ID = /^[A-Za-z0-9:._-]{1,128}$/;

export function checkChannel(channel: string): void {
  if (!CHANNEL.test(channel)) throw new ChangeBusError(`change bus channel must match ${CHANNEL.source}`);
}

/** Refuses anything but a short plain id; the message never echoes the value. */
export function checkId(id: string): void {
  if (typeof id !== 'string' || !ID.test(id)) throw new ChangeBusError(`change bus messages carry an id matching ${ID.source}`);
}

/** Subscribers by channel, with fan-out that one throwing subscriber cannot stop. */
export function createSubscriberSet() {
  const byChannel = new Map<string, Set<ChangeSubscriber>>();
  const each = (subs: Iterable<ChangeSubscriber>, fn: (s: ChangeSubscriber) => void) => {
    for (const s of [...subs]) {
      try {
        fn(s);
      } catch {
        // one subscriber's fault must not keep the others from hearing
      }
    }
  };
  return {
    /** Adds; returns whether it is the channel's first subscriber, and the removal function. */
    add(channel: string, subscriber: ChangeSubscriber): { first: boolean; remove: () => boolean } {
      let set = byChannel.get(channel);
      const first = !set;
      if (!set) byChannel.set(channel, (set = new Set()));
      const entry = { ...subscriber };
      set.add(entry);
      return {
        first,
        /** true when the channel has no subscriber left */
        remove() {
          const s = byChannel.get(channel);
          if (!s?.delete(entry) || s.size > 0) return false;
          byChannel.delete(channel);
          return true;
        },
      };
    },
    channels: () => [...byChannel.keys()],
    changed(channel: string, id: string) {
      each(byChannel.get(channel) ?? [], (s) => s.changed(id));
    },
    resync(channel: string) {
      each(byChannel.get(channel) ?? [], (s) => s.resync());
    },
    resyncAll() {
      for (const set of byChannel.values()) each(set, (s) => s.resync());
    },
    clear: () => byChannel.clear(),
  };
}

/** One instance: publishes reach this process's subscribers only. */
export function createInProcessChangeBus(): ChangeBus {
  const subscribers = createSubscriberSet();
  return {
    async publish(channel, id) {
      checkChannel(channel);
      checkId(id);
      subscribers.changed(channel, id);
    },
    subscribe(channel, subscriber) {
      checkChannel(channel);
      const { remove } = subscribers.add(channel, subscriber);
      return () => void remove();
    },
    async close() {
      subscribers.clear();
    },
  };
}
