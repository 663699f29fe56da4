import type { ActivityEvent, SandboxStatsSnapshot } from '../../src/sandbox/start-sandbox.ts';
import { sandboxInfo } from './sandbox-context.ts';

/**
 * The shared sandbox's /_sandbox endpoints, for tests in worker processes (the handle lives in
 * the global-setup process). Counters are shared by every test running at the same time: compare
 * before/after for a principal your test alone uses (`arm.byPrincipal[oid]`), or count requests
 * in your own client, rather than asserting absolute totals.
 */
export async function sandboxStats(): Promise<SandboxStatsSnapshot> {
  const res = await fetch(`${sandboxInfo().origin}/_sandbox/stats`);
  if (!res.ok) throw new Error(`sandbox stats: HTTP ${res.status}`);
  return (await res.json()) as SandboxStatsSnapshot;
}

export async function sandboxActivityLog(): Promise<ActivityEvent[]> {
  const res = await fetch(`${sandboxInfo().origin}/_sandbox/activity`);
  if (!res.ok) throw new Error(`sandbox activity: HTTP ${res.status}`);
  return ((await res.json()) as { value: ActivityEvent[] }).value;
}
