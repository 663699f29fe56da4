/**
 * Answers a policy gives per action, remembered: the action vocabulary is finite (the providers'
 * operations) and agents ask about the same few actions over and over, so each action is matched
 * against a policy's patterns once. Used by find-guardrail.ts and find-content-rules.ts, each
 * keeping one map per compiled policy object: a policy reload is a new object, so the answers
 * of the old policy are never read again. Bound: MAX_CACHED_ACTIONS per map, emptied when full.
 */

/** Bound on remembered answers per policy. */
export const MAX_CACHED_ACTIONS = 10_000;

/** The answer remembered under `key`, or `compute()`'s, remembered. `undefined` is never remembered: use null. */
export function answerByAction<T>(answers: Map<string, T>, key: string, compute: () => T): T {
  const known = answers.get(key);
  if (known !== undefined) return known;
  const answer = compute();
  if (answers.size >= MAX_CACHED_ACTIONS) answers.clear();
  answers.set(key, answer);
  return answer;
}
