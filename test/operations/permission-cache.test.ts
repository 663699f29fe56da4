import { describe, expect, it } from 'vitest';
import { createEvaluator } from '../../src/rbac/rbac-evaluator.ts';
import type { AuthorizationState } from '../../src/rbac/rbac-types.ts';
import { ANSWERS_PER_ENTRY, createPermissionCache, PermissionStateUnavailableError, type PermissionSource } from '../../src/operations/permission-cache.ts';
import { APP, PRIVILEGED_PRINCIPAL, READER_PRINCIPAL, RESTART_ACTION, REVISION, sandboxLikeState, SUB } from './support/operation-fixtures.ts';
import { alwaysSeen } from './support/always-seen.ts';

const OTHER_SUB = '3f2a9c1e-0000-4000-8000-00000000a002';
const OTHER_APP = APP.replace(SUB, OTHER_SUB);

/** A source that counts loads, can be held open, and can be swapped to another state or made to fail. */
function fakeSource(initial: AuthorizationState) {
  let state = initial;
  let failing: Error | undefined;
  let gate: Promise<void> | undefined;
  const loads: Array<{ principalId: string; subscriptionId: string }> = [];
  const source: PermissionSource = {
    async load(principalId, subscriptionId) {
      loads.push({ principalId, subscriptionId });
      // what ARM said when the read was made, even if it comes back later
      const seen = state;
      if (gate) await gate;
      if (failing) throw failing;
      return seen;
    },
  };
  return {
    source,
    loads,
    setState: (s: AuthorizationState) => (state = s),
    fail: (err: Error | undefined) => (failing = err),
    hold() {
      let release!: () => void;
      gate = new Promise((r) => (release = r));
      return () => {
        gate = undefined;
        release();
      };
    },
  };
}

function setup(ttlMs = 60_000) {
  let t = 1_000_000;
  const fake = fakeSource(sandboxLikeState());
  const cache = createPermissionCache({ source: fake.source, makeEvaluator: (s) => createEvaluator(s), ttlMs, now: () => t });
  return { fake, cache, advance: (ms: number) => (t += ms) };
}

const withoutContainerAppsContributor = (): AuthorizationState => {
  const s = sandboxLikeState();
  return { ...s, assignments: s.assignments.filter((a) => !(a.principalId === PRIVILEGED_PRINCIPAL && a.scope.endsWith('rg-sre-apps') && a.roleDefinitionId.endsWith('358470bc-b998-42bd-ab17-a7e34c199c0f'))) };
};

describe('permission cache', () => {
  it('answers with the evaluator and reads ARM once per principal and subscription', async () => {
    const { fake, cache } = setup();
    for (let i = 0; i < 1000; i++) expect((await cache.check(READER_PRINCIPAL, 'Microsoft.App/containerApps/read', APP)).allowed).toBe(true);
    expect((await cache.check(READER_PRINCIPAL, RESTART_ACTION, REVISION)).allowed).toBe(false);
    expect(fake.loads).toEqual([{ principalId: READER_PRINCIPAL, subscriptionId: SUB }]);
    await cache.check(PRIVILEGED_PRINCIPAL, RESTART_ACTION, REVISION);
    await cache.check(READER_PRINCIPAL, 'Microsoft.App/containerApps/read', OTHER_APP);
    expect(fake.loads).toHaveLength(3);
    expect(cache.stats()).toMatchObject({ loads: 3, misses: 3, hits: 1000 });
  });

  it('makes one ARM read for concurrent misses (single flight)', async () => {
    const { fake, cache } = setup();
    const release = fake.hold();
    const pending = Array.from({ length: 50 }, () => cache.check(READER_PRINCIPAL, 'Microsoft.App/containerApps/read', APP));
    release();
    const decisions = await Promise.all(pending);
    expect(decisions.every((d) => d.allowed)).toBe(true);
    expect(fake.loads).toHaveLength(1);
  });

  it('refreshes in the background past 80% of the ttl and waits for fresh state past the ttl', async () => {
    const { fake, cache, advance } = setup(10_000);
    await cache.check(PRIVILEGED_PRINCIPAL, RESTART_ACTION, REVISION);
    fake.setState(withoutContainerAppsContributor());
    advance(8_500);
    // answered from the old entry while the refresh runs
    expect((await cache.check(PRIVILEGED_PRINCIPAL, RESTART_ACTION, REVISION)).allowed).toBe(true);
    expect(fake.loads).toHaveLength(2);
    await new Promise((r) => setImmediate(r));
    expect((await cache.check(PRIVILEGED_PRINCIPAL, RESTART_ACTION, REVISION)).allowed).toBe(false);
    fake.setState(sandboxLikeState());
    advance(10_001);
    expect((await cache.check(PRIVILEGED_PRINCIPAL, RESTART_ACTION, REVISION)).allowed).toBe(true);
    expect(fake.loads).toHaveLength(3);
  });

  it('invalidate(principalId) makes the next check see new roles, and a load in flight does not bring old ones back', async () => {
    const { fake, cache } = setup();
    expect((await cache.check(PRIVILEGED_PRINCIPAL, RESTART_ACTION, REVISION)).allowed).toBe(true);
    // a load started before the change is still running when the change is announced
    cache.invalidate(PRIVILEGED_PRINCIPAL);
    const release = fake.hold();
    const stale = cache.check(PRIVILEGED_PRINCIPAL, RESTART_ACTION, REVISION);
    cache.invalidate(PRIVILEGED_PRINCIPAL.toUpperCase());
    fake.setState(withoutContainerAppsContributor());
    release();
    await stale;
    expect((await cache.check(PRIVILEGED_PRINCIPAL, RESTART_ACTION, REVISION)).allowed).toBe(false);
    // other principals keep their entries
    const before = fake.loads.length;
    await cache.check(READER_PRINCIPAL, 'Microsoft.App/containerApps/read', APP);
    await cache.check(READER_PRINCIPAL, 'Microsoft.App/containerApps/read', APP);
    expect(fake.loads.length).toBe(before + 1);
  });

  it('evaluates each question once per entry, at most ANSWERS_PER_ENTRY of them; a role change or a refresh answers anew', async () => {
    let t = 1_000_000;
    const fake = fakeSource(sandboxLikeState());
    let evaluations = 0;
    const cache = createPermissionCache({
      source: fake.source,
      makeEvaluator: (s) => {
        const evaluator = createEvaluator(s);
        return { check: (r) => ((evaluations += 1), evaluator.check(r)) };
      },
      ttlMs: 10_000,
      now: () => t,
      // Admission is tested on its own below: here every question counts as asked before.
      sightings: alwaysSeen,
    });
    for (let i = 0; i < 100; i++) expect((await cache.check(PRIVILEGED_PRINCIPAL, RESTART_ACTION, REVISION)).allowed).toBe(true);
    expect(evaluations).toBe(1);
    // the remembered answer is shared, so no caller can change it for the next
    expect(Object.isFrozen(await cache.check(PRIVILEGED_PRINCIPAL, RESTART_ACTION, REVISION))).toBe(true);

    // the bound: past it the oldest answer is forgotten and evaluated again when asked
    for (let i = 0; i < ANSWERS_PER_ENTRY; i++) await cache.check(PRIVILEGED_PRINCIPAL, RESTART_ACTION, `${APP}/revisions/r${i}`);
    expect(evaluations).toBe(1 + ANSWERS_PER_ENTRY);
    await cache.check(PRIVILEGED_PRINCIPAL, RESTART_ACTION, REVISION);
    expect(evaluations).toBe(2 + ANSWERS_PER_ENTRY);

    // roles change: invalidate drops the entry and its answers with it
    fake.setState(withoutContainerAppsContributor());
    cache.invalidate(PRIVILEGED_PRINCIPAL);
    expect((await cache.check(PRIVILEGED_PRINCIPAL, RESTART_ACTION, REVISION)).allowed).toBe(false);

    // and without an invalidate, the state refreshed past 80% of the ttl answers from then on
    fake.setState(sandboxLikeState());
    t += 8_500;
    await cache.check(PRIVILEGED_PRINCIPAL, RESTART_ACTION, REVISION);
    await new Promise((r) => setImmediate(r));
    expect((await cache.check(PRIVILEGED_PRINCIPAL, RESTART_ACTION, REVISION)).allowed).toBe(true);
  });

  it('remembers an answer the second time its question is asked, not the first', async () => {
    let evaluations = 0;
    const cache = createPermissionCache({
      source: fakeSource(sandboxLikeState()).source,
      makeEvaluator: (s) => {
        const evaluator = createEvaluator(s);
        return { check: (r) => ((evaluations += 1), evaluator.check(r)) };
      },
      ttlMs: 10_000,
    });
    const first = await cache.check(PRIVILEGED_PRINCIPAL, RESTART_ACTION, REVISION); // first asked: answered, not kept
    const second = await cache.check(PRIVILEGED_PRINCIPAL, RESTART_ACTION, REVISION); // asked again: kept from now on
    expect(second).not.toBe(first);
    expect(second).toEqual(first);
    for (let i = 0; i < 5; i++) expect(await cache.check(PRIVILEGED_PRINCIPAL, RESTART_ACTION, REVISION)).toBe(second);
    expect(evaluations).toBe(2);
    expect(Object.isFrozen(first) && Object.isFrozen(second)).toBe(true);
  });

  it('fails closed when ARM cannot be read and there is no fresh entry', async () => {
    const { fake, cache, advance } = setup(10_000);
    fake.fail(new Error('connect ECONNREFUSED\nsecond line'));
    const err = await cache.check(READER_PRINCIPAL, 'Microsoft.App/containerApps/read', APP).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermissionStateUnavailableError);
    expect((err as Error).message).toBe("the agent's role assignments could not be read from ARM: connect ECONNREFUSED");
    fake.fail(undefined);
    await cache.check(READER_PRINCIPAL, 'Microsoft.App/containerApps/read', APP);
    // a failing background refresh keeps the entry until it expires, then fails closed
    fake.fail(new Error('boom'));
    advance(9_000);
    expect((await cache.check(READER_PRINCIPAL, 'Microsoft.App/containerApps/read', APP)).allowed).toBe(true);
    await new Promise((r) => setImmediate(r));
    advance(2_000);
    await expect(cache.check(READER_PRINCIPAL, 'Microsoft.App/containerApps/read', APP)).rejects.toThrow(PermissionStateUnavailableError);
    expect(cache.stats().loadFailures).toBeGreaterThanOrEqual(3);
  });

  it("passes on ARM's Retry-After when ARM throttled the read, so the agent knows when to ask again", async () => {
    const { fake, cache } = setup(10_000);
    // As the Azure SDK raises it once its own throttling retries gave up.
    const throttled = (retryAfter: string | undefined) =>
      Object.assign(new Error("Number of 'read' requests for subscription 's' actor 'a' exceeded. Please try again after '7' seconds after additional tokens are available."), {
        statusCode: 429,
        response: { headers: { get: (name: string) => (name === 'retry-after' ? retryAfter : undefined) } },
      });
    const reasonOf = async () => (await cache.check(READER_PRINCIPAL, 'Microsoft.App/containerApps/read', APP).catch((e: unknown) => e)) as PermissionStateUnavailableError;
    fake.fail(throttled('7'));
    expect(await reasonOf()).toMatchObject({ retryAfterSeconds: 7, message: expect.stringMatching(/^the agent's role assignments could not be read from ARM: Number of 'read' requests/) });
    fake.fail(throttled('not a number'));
    expect((await reasonOf()).retryAfterSeconds).toBe(1);
    fake.fail(new Error('connect ECONNREFUSED'));
    expect((await reasonOf()).retryAfterSeconds).toBeUndefined();
  });
});
