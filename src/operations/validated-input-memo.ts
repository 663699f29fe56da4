/**
 * A bounded memo of submissions that passed validation (validate-operation.ts), keyed by the
 * exact bytes of the request body and everything of the agent that validation reads (its id and
 * its managed resource groups). An agent polling with the same body is validated once; every
 * other check still runs on every call: authentication and the agent look-up (so a revoked or
 * changed agent is refused or re-validated at once), the rate limit, the trigger check, the
 * decision on the current policies and permissions, and the audit append (issue 18).
 *
 * Invalidation: none is needed. Validation is a pure function of the bytes and the agent's
 * resource groups, and both are in the key, so a changed agent misses; refusals are never
 * remembered (each is validated and audited on its own). Bound: at most `maxEntries` entries
 * (least recently used evicted first), each for a body of at most `maxBodyBytes`, so the memo
 * holds at most about maxEntries × (maxBodyBytes + the validated copy) bytes.
 *
 * Copy-safe: the memo keeps its own copy and hands out a fresh one on every hit, so whatever a
 * caller does to its input cannot reach the next caller.
 */
import type { Agent, OperationInput } from './operation-types.ts';

export const DEFAULT_MEMO_ENTRIES = 1024;
/** Decision bodies are a few hundred bytes; a large PATCH body is validated every time. */
export const DEFAULT_MEMO_BODY_BYTES = 4096;

export interface ValidatedInputMemo {
  /** A fresh copy of the validated input for these bytes and this agent, if remembered. */
  get(agent: Pick<Agent, 'id' | 'resourceGroupIds'>, body: Buffer): OperationInput | undefined;
  /** Remembers a validated input (a copy of it); bodies over the size bound are not remembered. */
  set(agent: Pick<Agent, 'id' | 'resourceGroupIds'>, body: Buffer, input: OperationInput): void;
  size(): number;
}

export function createValidatedInputMemo(options: { maxEntries?: number; maxBodyBytes?: number } = {}): ValidatedInputMemo {
  const maxEntries = options.maxEntries ?? DEFAULT_MEMO_ENTRIES;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MEMO_BODY_BYTES;
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) throw new RangeError('maxEntries must be a whole number of at least 1');
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 1) throw new RangeError('maxBodyBytes must be a whole number of at least 1');
  // A Map keeps insertion order: re-inserting on a hit makes its first key the least recently used.
  const entries = new Map<string, OperationInput>();

  // JSON text never holds a raw NUL (it escapes it), so the first NUL ends the agent's part and
  // the parts cannot run into each other; latin1 maps every byte to one character, so distinct
  // bytes give distinct keys.
  const keyOf = (agent: Pick<Agent, 'id' | 'resourceGroupIds'>, body: Buffer) => `${JSON.stringify([agent.id, agent.resourceGroupIds])}\u0000${body.toString('latin1')}`;

  return {
    get(agent, body) {
      if (body.length > maxBodyBytes) return undefined;
      const key = keyOf(agent, body);
      const hit = entries.get(key);
      if (!hit) return undefined;
      entries.delete(key);
      entries.set(key, hit);
      return copyOf(hit);
    },
    set(agent, body, input) {
      if (body.length > maxBodyBytes) return;
      const key = keyOf(agent, body);
      entries.delete(key);
      entries.set(key, copyOf(input));
      while (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
    },
    size: () => entries.size,
  };
}

/** A copy no caller shares: the nested objects are copied too (the body deeply; it is JSON). */
function copyOf(input: OperationInput): OperationInput {
  const copy: OperationInput = { ...input, trigger: { ...input.trigger } };
  if (input.query !== undefined) copy.query = { ...input.query };
  if (input.body !== undefined) copy.body = structuredClone(input.body);
  return copy;
}
