import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sandboxInfo } from '../../support/sandbox-context.ts';
import type { TestStoreEnv } from '../../support/test-store.ts';

export const ELEVATE_BIN = fileURLToPath(new URL('../../../bin/elevate.js', import.meta.url));
const POLICIES = fileURLToPath(new URL('../../../policies', import.meta.url));

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunElevateOptions {
  cwd: string;
  /** The whole environment of the process besides PATH: nothing of the test's leaks in unless named. */
  env?: Record<string, string>;
  /** Each spawn loads the whole CLI through tsx: seconds on a busy machine. */
  timeoutMs?: number;
}

/** `elevate <args>` as a user runs it: a child process, stdin closed; its exit code and output. */
export function runElevate(args: string[], opts: RunElevateOptions): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [ELEVATE_BIN, ...args],
      { cwd: opts.cwd, env: { PATH: process.env.PATH ?? '', ...opts.env }, timeout: opts.timeoutMs ?? 90_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    );
    child.stdin?.end();
  });
}

/**
 * The environment of a CLI in sandbox mode pointed at the test run's shared sandbox (its ports and
 * data directory), on `store` (test-store.ts), with the repository's policies.
 */
export function sandboxCliEnv(store: TestStoreEnv): Record<string, string> {
  const s = sandboxInfo();
  const keep = ['NODE_OPTIONS', 'NODE_EXTRA_CA_CERTS', 'HOME'];
  return {
    ...Object.fromEntries(keep.flatMap((k) => (process.env[k] !== undefined ? [[k, process.env[k]!]] : []))),
    ...store.env,
    ELEVATE_POLICIES_DIR: POLICIES,
    ELEVATE_SANDBOX_PORT: new URL(s.origin).port,
    ELEVATE_SANDBOX_HTTP_PORT: new URL(s.browserOrigin).port,
    ELEVATE_SANDBOX_DATA_DIR: resolve(s.dataDir),
    ELEVATE_LOG_LEVEL: 'warn',
  };
}
