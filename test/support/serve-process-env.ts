/**
 * What an `elevate serve` child process needs to treat a sandbox as its tenant, as a real
 * deployment's environment would: the service's own app registration, the sandbox's authority,
 * ARM, Graph and IMDS, and a port of its own. Tests that kill the process (crash soaks, the
 * two-instance end-to-end test) add their store and their own timers on top; startServeProcess
 * starts it and waits until it answers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { SandboxHandle } from '../../src/sandbox/start-sandbox.ts';

const BIN = fileURLToPath(new URL('../../bin/elevate.js', import.meta.url));

/** A port free on loopback now (the child binds it a moment later). */
export function freePort(): Promise<number> {
  return new Promise((r) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => r(p));
    });
  });
}

export function sandboxServeEnv(sandbox: SandboxHandle, port: number): NodeJS.ProcessEnv {
  const app = sandbox.tenant.elevateApp;
  return {
    ...process.env,
    AZURE_TENANT_ID: sandbox.tenant.tenantId,
    AZURE_CLIENT_ID: app.clientId,
    AZURE_CLIENT_SECRET: app.clientSecret,
    ELEVATE_API_AUDIENCE: app.apiAudience,
    // one secret for every process, as replicas behind a load balancer share it
    ELEVATE_SESSION_SECRET: 's'.repeat(48),
    AZURE_AUTHORITY_HOST: sandbox.authorityHost,
    ELEVATE_ARM_ENDPOINT: sandbox.armEndpoint,
    // requester look-ups and group membership for deny assignments: this sandbox's Graph
    ELEVATE_GRAPH_ENDPOINT: sandbox.graphEndpoint,
    // the agents' managed identities (the reconciler follows operations with them): this sandbox's IMDS
    AZURE_POD_IDENTITY_AUTHORITY_HOST: sandbox.imdsEndpoint,
    ELEVATE_PORT: String(port),
    ELEVATE_LOG_LEVEL: 'warn',
  };
}

export interface ServeProcess {
  child: ChildProcess;
  /** The last 20,000 characters it wrote (stdout and stderr), for failure messages and checks. */
  log(): string;
}

export interface StartServeOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Where it listens, e.g. http://127.0.0.1:<ELEVATE_PORT>. */
  url: string;
  /** Answered 2xx once it is up: /healthz (listening) or /readyz (its checks pass). */
  readyPath: '/healthz' | '/readyz';
  timeoutMs: number;
  /** Names it in errors (default "elevate serve"). */
  name?: string;
}

/**
 * `elevate serve` as a child process, its output kept; resolves once `readyPath` answers 2xx. If
 * the process exits first, or `timeoutMs` passes, it is killed and the error carries the tail of
 * its output.
 */
export async function startServeProcess(opts: StartServeOptions): Promise<ServeProcess> {
  const name = opts.name ?? 'elevate serve';
  const child = spawn(process.execPath, [BIN, 'serve'], { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const keep = (d: string) => (log = (log + d).slice(-20_000));
  child.stdout!.setEncoding('utf8').on('data', keep);
  child.stderr!.setEncoding('utf8').on('data', keep);
  const deadline = Date.now() + opts.timeoutMs;
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}: ${log.slice(-3000)}`);
      if (await fetch(`${opts.url}${opts.readyPath}`).then((r) => r.ok, () => false)) return { child, log: () => log };
      if (Date.now() > deadline) throw new Error(`${name} did not start: ${log.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (err) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    throw err;
  }
}
