import type { RaiseService } from './raise-service.ts';

/**
 * The background job that ends raises on time when Azure does not (fallback mode), checks that
 * Azure did (PIM mode), resumes grants and revokes a crash interrupted, and retries failed revokes.
 * One pass runs at start (a restart picks up where the last process stopped) and then every
 * `intervalMs`; the service keeps passes from overlapping. Every pass works from the database, so
 * nothing is lost across restarts.
 */
export function startRaiseSweeper(raises: Pick<RaiseService, 'sweep'>, intervalMs: number): () => void {
  let stopped = false;
  const run = () => {
    if (!stopped) void raises.sweep().catch(() => undefined);
  };
  run();
  const timer = setInterval(run, intervalMs);
  timer.unref();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
