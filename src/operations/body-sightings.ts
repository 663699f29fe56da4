/**
 * Which request bodies an agent sent recently: the admission rule in front of the validated-input
 * memo (validated-input-memo.ts), as a doorkeeper is in front of TinyLFU (Einziger, Friedman and
 * Manes, "TinyLFU: A Highly Efficient Cache Admission Policy", 2017). A polling agent sends the
 * same body again and again; an agent at work sends each body once. Remembering every body meant
 * that every distinct query made a memo entry (its key, a copy of its input, its decision) that
 * lived until 1,024 newer ones pushed it out: objects the collector copied and promoted for
 * nothing (a knock-out of the memo saved ~11 µs of scavenges per distinct answer, issue 18). So a
 * body is remembered only when it is seen a second time.
 *
 * A sighting is a 32-bit FNV-1a hash of the agent id and the body's bytes, kept in a fixed table
 * of slots (one Int32Array, allocated once: nothing per call for the collector). A newer body in
 * the same slot replaces it, so "seen" means "seen recently", and a hash collision (two bodies
 * alike in 32 bits and in slot) only admits a body one sighting early. Neither changes an answer:
 * admission decides what is remembered, never what is decided (every body is validated, and
 * every remembered one was validated for these exact bytes).
 */

/** Slots in the table (a power of two): 256 KiB. At 1,000 distinct bodies a second, a body polled every second keeps its slot ~98.5% of the time. */
export const DEFAULT_SIGHTING_SLOTS = 65_536;

export interface BodySightings {
  /** Records that `agentId` sent `body`; true when the same pair was seen recently, before this call. */
  sight(agentId: string, body: Uint8Array): boolean;
}

export function createBodySightings(slots: number = DEFAULT_SIGHTING_SLOTS): BodySightings {
  if (!Number.isSafeInteger(slots) || slots < 1 || (slots & (slots - 1)) !== 0 || slots > 2 ** 30) {
    throw new RangeError('slots must be a power of two from 1 to 2^30');
  }
  const table = new Int32Array(slots);
  const mask = slots - 1;
  return {
    sight(agentId, body) {
      const h = fnv1a(agentId, body);
      const slot = (h >>> 0) & mask;
      // Low bit set: never 0, which marks an empty slot.
      const mark = h | 1;
      if (table[slot] === mark) return true;
      table[slot] = mark;
      return false;
    },
  };
}

/** FNV-1a (32-bit) over the id's UTF-16 code units, a separator no code unit can be, then the body's bytes. */
function fnv1a(id: string, body: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ 0x10000, 0x01000193);
  for (let i = 0; i < body.length; i++) h = Math.imul(h ^ body[i]!, 0x01000193);
  return h;
}
