/** One dependency the service needs before it can take traffic. */
export interface ReadinessCheck {
  name: string;
  /** Resolves when the dependency is usable; throws (one-line message) when not. */
  check: () => Promise<void> | void;
}

export interface ReadinessResult {
  ready: boolean;
  checks: Array<{ name: string; ok: boolean; error?: string }>;
}

/** Runs every check concurrently, each bounded by `timeoutMs`; a hung dependency counts as failed. */
export async function runReadinessChecks(checks: readonly ReadinessCheck[], timeoutMs = 3_000): Promise<ReadinessResult> {
  const results = await Promise.all(
    checks.map(async ({ name, check }) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          Promise.resolve().then(check),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
        return { name, ok: true };
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        return { name, ok: false, error: message.split('\n')[0]!.slice(0, 200) };
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return { ready: results.every((r) => r.ok), checks: results };
}
