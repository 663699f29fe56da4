import { createHash } from 'node:crypto';
import { assignmentDescription } from './apply-plan.ts';
import type { Plan } from './level-types.ts';

/**
 * A fingerprint of what applying a plan could change in Azure, so an administrator's approval is
 * bound to exactly the plan they were shown: the page carries it, and apply refuses when the
 * fresh plan's differs. It covers every create (with the description written to ARM), every
 * delete and every drift finding (removable with "removeDrift"; the checkbox itself is the
 * administrator's choice at submit time, not part of the plan). Explanations (reasons, drift
 * messages, notes, operation lists) are left out: they are text about the plan, not actions, and
 * may be reworded without the plan changing.
 */

/** What the page carries and apply expects: SHA-256, lower-case hex. */
export const PLAN_DIGEST_PATTERN = /^[0-9a-f]{64}$/;

export function isPlanDigest(value: string): boolean {
  return PLAN_DIGEST_PATTERN.test(value);
}

// Azure compares ids, scopes and GUIDs case-insensitively, and reads may spell them differently
// (or end a scope with '/') from one call to the next; the digest must not change with that.
const id = (s: string | null | undefined) => (s ?? '').toLowerCase();
const scope = (s: string) => s.replace(/\/+$/, '').toLowerCase();

/** Sorted by their serialised form, so the order ARM or the planner listed them in does not matter. */
function canonical(rows: string[][]): string[][] {
  return rows.map((r) => ({ r, key: JSON.stringify(r) })).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map((x) => x.r);
}

export function planDigest(plan: Plan): string {
  const body = {
    v: 'elevate-plan-digest/1',
    // The agent and level are shown on the page, and the level is written into each created assignment's description.
    agent: [plan.agent.id, id(plan.agent.principalId), plan.agent.level],
    creates: canonical(plan.toCreate.map((d) => [id(d.name), id(d.principalId), id(d.roleDefinitionId), scope(d.scope), assignmentDescription(plan, d)])),
    deletes: canonical(plan.toDelete.map(({ assignment: a }) => [id(a.id), id(a.principalId), id(a.roleDefinitionId), scope(a.scope)])),
    // Through a group or not decides whether removeDrift deletes it or skips it.
    drift: canonical(plan.drift.map((f) => [id(f.assignment.id), id(f.assignment.principalId), id(f.assignment.roleDefinitionId), scope(f.assignment.scope), id(f.viaGroupId)])),
  };
  return createHash('sha256').update(JSON.stringify(body)).digest('hex');
}
