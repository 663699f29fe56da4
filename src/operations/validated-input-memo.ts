/**
 * A bounded memo of submissions that passed validation (validate-operation.ts), keyed by the
 * exact bytes of the request body and the agent's id, and answered only for the managed resource
 * groups it was validated against (the rest of what validation reads of the agent: compared
 * element by element on every hit). An agent polling with the same body is validated once; every
 * other check still runs on every call: authentication and the agent look-up (so a revoked or
 * changed agent is refused or re-validated at once), the rate limit, the trigger check, the
 * decision on the current policies and permissions, and the audit append (issue 18).
 *
 * Invalidation: none is needed. Validation is a pure function of the bytes and the agent's
 * resource groups, and a hit needs both to match, so a changed agent misses; refusals are never
 * remembered (each is validated and audited on its own). Bound: at most `maxEntries` entries
 * (least recently used evicted first), each for a body of at most `maxBodyBytes`, so the memo
 * holds at most about maxEntries × (maxBodyBytes + the validated copy) bytes.
 *
 * Copy-safe: the memo keeps its own copy and hands out a fresh one on every hit, so whatever a
 * caller does to its input cannot reach the next caller.
 *
 * Admission: a body is remembered the second time the agent sends it while its first sighting is
 * still recorded (recent-sightings.ts), not the first: most bodies are sent once, and each entry
 * made for one of them was work and garbage for nothing.
 */
import { createRecentSightings, type RecentSightings } from './recent-sightings.ts';
import type { RememberedDecision } from './decision-memo.ts';
import type { Agent, OperationInput } from './operation-types.ts';

export const DEFAULT_MEMO_ENTRIES = 1024;
/** Decision bodies are a few hundred bytes; a large PATCH body is validated every time. */
export const DEFAULT_MEMO_BODY_BYTES = 4096;

/** One remembered body: its validated input, and what was last decided for it (decision-memo.ts). */
export interface MemoEntry {
  readonly input: OperationInput;
  /** Set by the decision path; evicted with the entry. */
  decided?: RememberedDecision | undefined;
}

export interface ValidatedInputMemo {
  /** The entry for these bytes and this agent, if remembered (counted as a use); `inputOf` gives a fresh copy of its input. */
  entry(agent: Pick<Agent, 'id' | 'resourceGroupIds'>, body: Buffer): MemoEntry | undefined;
  /**
   * Remembers a validated input (a copy of it) if the agent sent these bytes recently too (see
   * Admission); bodies over the size bound are not remembered. Answers the new entry, if any.
   */
  set(agent: Pick<Agent, 'id' | 'resourceGroupIds'>, body: Buffer, input: OperationInput): MemoEntry | undefined;
  size(): number;
}

export function createValidatedInputMemo(options: { maxEntries?: number; maxBodyBytes?: number; sightings?: Pick<RecentSightings, 'sight'> } = {}): ValidatedInputMemo {
  const maxEntries = options.maxEntries ?? DEFAULT_MEMO_ENTRIES;
  const sightings = options.sightings ?? createRecentSightings();
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MEMO_BODY_BYTES;
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) throw new RangeError('maxEntries must be a whole number of at least 1');
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 1) throw new RangeError('maxBodyBytes must be a whole number of at least 1');
  // A Map keeps insertion order: re-inserting on a hit makes its first key the least recently used.
  const entries = new Map<string, Stored>();
  /** The most recently used entry: a hit on it needs no re-insertion (a polling agent's case). */
  let newest: Stored | undefined;

  // The agent id, JSON-quoted so no id can reach into the body, then the body's bytes. The
  // resource groups are kept in the entry and compared on a hit: a changed agent misses.
  const keyOf = (agent: Pick<Agent, 'id'>, body: Buffer) => `${JSON.stringify(agent.id)}\u0000${body.toString('latin1')}`;

  function entry(agent: Pick<Agent, 'id' | 'resourceGroupIds'>, body: Buffer): MemoEntry | undefined {
    if (body.length > maxBodyBytes) return undefined;
    const key = keyOf(agent, body);
    const hit = entries.get(key);
    if (!hit || !sameGroups(hit.groups, agent.resourceGroupIds)) return undefined;
    if (hit !== newest) {
      entries.delete(key);
      entries.set(key, hit);
      newest = hit;
    }
    return hit;
  }

  return {
    entry,
    set(agent, body, input) {
      if (body.length > maxBodyBytes || !sightings.sight(agent.id, body)) return undefined;
      const key = keyOf(agent, body);
      const added: Stored = { input: copyOf(input), groups: [...agent.resourceGroupIds] };
      entries.delete(key);
      entries.set(key, added);
      newest = added;
      while (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
      return added;
    },
    size: () => entries.size,
  };
}

/** An entry with the resource groups its input was validated against. */
interface Stored extends MemoEntry {
  readonly groups: readonly string[];
}

function sameGroups(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A fresh copy of an entry's validated input: whatever the caller does to it cannot reach the next caller. */
export function inputOf(entry: MemoEntry): OperationInput {
  return copyOf(entry.input);
}

/** A copy no caller shares: the nested objects are copied too (the body deeply; it is JSON). */
function copyOf(input: OperationInput): OperationInput {
  const copy: OperationInput = { ...input, trigger: { ...input.trigger } };
  if (input.query !== undefined) copy.query = { ...input.query };
  if (input.body !== undefined) copy.body = structuredClone(input.body);
  return copy;
}
