/**
 * What was seen recently: the admission rule in front of the decision path's memos, as a
 * doorkeeper is in front of TinyLFU (Einziger, Friedman and Manes, "TinyLFU: A Highly Efficient
 * Cache Admission Policy", 2017). A polling agent sends the same body, and asks the same
 * permission question, again and again; an agent at work sends each once. Remembering every one
 * meant that every distinct query made entries (in the validated-input memo: its key, a copy of
 * its input, its decision; in the permission cache: the answer) that lived until ~1,000 newer
 * ones pushed them out: objects the collector copied and promoted for nothing (knock-outs saved
 * ~11 and ~6 µs of scavenges per distinct answer, issue 18). So they are remembered only when
 * seen a second time: validated-input-memo.ts for bodies, permission-cache.ts for questions.
 *
 * A sighting is a 32-bit FNV-1a hash of the text, or of an id and bytes, kept in a fixed table
 * of slots (one Int32Array, allocated once: nothing per call for the collector). A newer body in
 * the same slot replaces it, so "seen" means "seen recently", and a hash collision (two bodies
 * alike in 32 bits and in slot) only admits a body one sighting early. Neither changes an answer:
 * admission decides what is remembered, never what is decided (every body is validated, and
 * every remembered one was validated for these exact bytes).
 */

/** Slots in the table (a power of two): 256 KiB. At 1,000 distinct bodies a second, a body polled every second keeps its slot ~98.5% of the time. */
export const DEFAULT_SIGHTING_SLOTS = 65_536;

export interface RecentSightings {
  /** Records that `agentId` sent `body`; true when the same pair was seen recently, before this call. */
  sight(agentId: string, body: Uint8Array): boolean;
  /** Records `text` (a question); true when it was seen recently, before this call. */
  sightText(text: string): boolean;
}

export function createRecentSightings(slots: number = DEFAULT_SIGHTING_SLOTS): RecentSightings {
  if (!Number.isSafeInteger(slots) || slots < 1 || (slots & (slots - 1)) !== 0 || slots > 2 ** 30) {
    throw new RangeError('slots must be a power of two from 1 to 2^30');
  }
  const table = new Int32Array(slots);
  const mask = slots - 1;
  const seen = (h: number) => {
    const slot = (h >>> 0) & mask;
    // Low bit set: never 0, which marks an empty slot.
    const mark = h | 1;
    if (table[slot] === mark) return true;
    table[slot] = mark;
    return false;
  };
  return {
    sight: (agentId, body) => seen(fnv1aBytes(fnv1aText(FNV_OFFSET, agentId, true), body)),
    sightText: (text) => seen(fnv1aText(FNV_OFFSET, text, false)),
  };
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a (32-bit) over the text's UTF-16 code units, then, if `separated`, a separator no code unit can be. */
function fnv1aText(h: number, text: string, separated: boolean): number {
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), FNV_PRIME);
  return separated ? Math.imul(h ^ 0x10000, FNV_PRIME) : h;
}

function fnv1aBytes(h: number, bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, FNV_PRIME);
  return h;
}
