import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { testStoreEnv } from '../../support/test-store.ts';
import { freePort } from './free-port.ts';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

export interface ServiceProcess {
  /** Elevate's URL, e.g. http://127.0.0.1:41234 */
  url: string;
  /** Where the sandbox's sign-in page is. */
  browserOrigin: string;
  /** Everything the process wrote, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts Elevate exactly as `npm start` does (`node bin/elevate.js serve`) in sandbox mode: its
 * own sandbox (`serve` cannot attach to the test run's sandbox; it starts one in-process), own
 * data directory and database. Elevate gets a fixed free port because the redirect URI it
 * registers with the tenant is built from it; the sandbox takes any free ports and reports them.
 * Its store is the run's (test-store.ts): a SQLite file, or a fresh PostgreSQL database in the
 * PostgreSQL lane, dropped when the process has stopped.
 */
export async function startServiceProcess(env: Record<string, string> = {}): Promise<ServiceProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'elevate-browser-'));
  const [port, store] = await Promise.all([freePort(), testStoreEnv(env.ELEVATE_DB_PATH ?? join(dir, 'elevate.db'), 'elevate_browser')]);
  let out = '';
  const child: ChildProcess = spawn(process.execPath, [join(REPO, 'bin/elevate.js'), 'serve'], {
    cwd: dir,
    env: {
      ...process.env,
      ELEVATE_HOST: '127.0.0.1',
      ELEVATE_PORT: String(port),
      ELEVATE_SANDBOX_PORT: '0',
      ELEVATE_SANDBOX_HTTP_PORT: '0',
      ELEVATE_SANDBOX_DATA_DIR: join(dir, 'sandbox'),
      ELEVATE_POLICIES_DIR: join(REPO, 'policies'),
      ELEVATE_LOG_LEVEL: 'warn',
      ...env,
      ...store.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));

  const exited = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGTERM');
    });
  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= exited().then(() => store.drop()));

  try {
    const found = await new Promise<{ url: string; browserOrigin: string }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`elevate serve did not start in time:\n${out.slice(-3000)}`)), 90_000);
      const onData = () => {
        const url = /Elevate is running at (\S+)/.exec(out)?.[1];
        const browserOrigin = /Browser sign-in: +(\S+)/.exec(out)?.[1];
        if (!url || !browserOrigin) return;
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolve({ url, browserOrigin });
      };
      child.stdout!.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`elevate serve exited with ${code}:\n${out.slice(-3000)}`));
      });
    });
    return { ...found, output: () => out, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
