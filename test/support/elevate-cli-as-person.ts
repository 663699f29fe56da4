/**
 * Runs `elevate` as a child process the way an administrator runs it against a running Elevate and
 * its sandbox, with a scripted person who reads each device code message the CLI prints on stderr
 * and enters the code on the sandbox's device login page over HTTP. HOME, the working directory and
 * TMPDIR are the caller's (empty) folders, so a test can prove no token was written to disk.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { SandboxHandle } from '../../src/sandbox/start-sandbox.ts';
import { enterDeviceCode, parseDeviceCodeMessage } from './device-code-user.ts';

const BIN = fileURLToPath(new URL('../../bin/elevate.js', import.meta.url));

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  codesEntered: number;
}

export interface CliPlace {
  /** Elevate's base URL */
  url: string;
  sandbox: SandboxHandle;
  home: string;
  work: string;
  tmp: string;
}

/** Runs the CLI; `person` (a seeded user key) enters every device code it prints. */
export function elevateCliAs(place: CliPlace, args: string[], person: string): Promise<CliRun> {
  const { sandbox } = place;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    ...(process.env.NODE_OPTIONS ? { NODE_OPTIONS: process.env.NODE_OPTIONS } : {}),
    // as a shell that followed `elevate sandbox info`'s advice would have it (else the CLI re-executes itself with it)
    NODE_EXTRA_CA_CERTS: sandbox.caBundlePath,
    HOME: place.home,
    TMPDIR: place.tmp,
    ELEVATE_URL: place.url,
    ELEVATE_SANDBOX_PORT: new URL(sandbox.origin).port,
    ELEVATE_SANDBOX_HTTP_PORT: new URL(sandbox.browserOrigin).port,
    ELEVATE_SANDBOX_DATA_DIR: sandbox.dataDir,
    ELEVATE_LOG_LEVEL: 'warn',
  };
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: place.work, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let entered = 0;
    const pages: Array<Promise<unknown>> = [];
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      const codes = [...stderr.matchAll(/open the page (\S+) and enter the code ([A-Z0-9]+)/g)];
      while (entered < codes.length) {
        const c = parseDeviceCodeMessage(codes[entered]![0])!;
        entered += 1;
        pages.push(enterDeviceCode(c.verificationUri, c.userCode, { user: person, users: sandbox.tenant.users }));
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.once('error', fail);
    child.once('close', (code) => {
      clearTimeout(timer);
      void Promise.all(pages).then(() => done({ code, stdout, stderr, codesEntered: entered }), fail);
    });
  });
}
