/**
 * A throwaway PostgreSQL cluster for one test run (issue 16): Debian's `initdb` and `pg_ctl` in a
 * temporary directory, listening on 127.0.0.1 only, with password (SCRAM) authentication over TCP
 * as a real server has (members of `entra_principals` excepted: see below). PostgreSQL refuses to
 * run as root, so when the test run is root (CI containers) the cluster runs as `nobody` and owns
 * its directory.
 *
 * `ELEVATE_TEST_DATABASE_URL` (a postgres:// URL to a server the tests may create databases on)
 * skips all of this.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ThrowawayPostgres {
  /** postgres://elevate:…@127.0.0.1:port/postgres: a superuser on the maintenance database */
  url: string;
  stop(): Promise<void>;
}

/** Debian installs server binaries under /usr/lib/postgresql/<major>/bin, off PATH. */
export function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const majors = readdirSync(root)
    .filter((v) => /^\d+$/.test(v) && existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return majors[0] === undefined ? undefined : join(root, majors[0], 'bin');
}

/** The unprivileged account the cluster runs as when the tests run as root (Debian's nobody:nogroup). */
const NOBODY = { uid: 65534, gid: 65534 };

function run(file: string, args: string[], asNobody: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(asNobody ? NOBODY : {}), env: { ...process.env, LC_ALL: 'C' } });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${file} ${args.join(' ')} exited with ${code}:\n${output.slice(-2000)}`))));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface ThrowawayOptions {
  /**
   * Keep PostgreSQL's durability defaults (fsync, synchronous_commit, full_page_writes on): for
   * benchmarks, whose "durable" figures must mean it. Tests leave them off (default false).
   */
  durable?: boolean;
}

export async function startThrowawayPostgres(opts: ThrowawayOptions = {}): Promise<ThrowawayPostgres> {
  const given = process.env.ELEVATE_TEST_DATABASE_URL;
  if (given) return { url: given, stop: async () => {} };
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql: apt-get install -y postgresql (or set ELEVATE_TEST_DATABASE_URL)');
  const asNobody = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'elevate-test-pg-'));
  if (asNobody) chownSync(dir, NOBODY.uid, NOBODY.gid);
  const data = join(dir, 'data');
  const password = randomBytes(18).toString('base64url');
  const pwfile = join(dir, 'pwfile');
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (asNobody) chownSync(pwfile, NOBODY.uid, NOBODY.gid);
  await run(join(bin, 'initdb'), ['-D', data, '-U', 'elevate', '--auth-local=trust', '--auth-host=scram-sha-256', `--pwfile=${pwfile}`, '-E', 'UTF8', '--no-instructions'], asNobody);
  rmSync(pwfile);
  // Roles in entra_principals sign in from loopback without a password of their own: they are
  // reached only through the sandbox's Azure Database for PostgreSQL front, which checks their
  // Entra token first (src/sandbox/postgres). First match wins, so the line goes first.
  const hba = join(data, 'pg_hba.conf');
  writeFileSync(hba, `host all +entra_principals 127.0.0.1/32 trust\n${readFileSync(hba, 'utf8')}`);
  const port = await freePort();
  const options = [`-p ${port}`, `-k ${dir}`, "-c listen_addresses='127.0.0.1'", '-c max_connections=300', '-c shared_buffers=64MB',
    // A test cluster needs no durability, and the PostgreSQL lane creates a database per harness.
    ...(opts.durable ? [] : ['-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off'])].join(' ');
  try {
    await run(join(bin, 'pg_ctl'), ['-D', data, '-o', options, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start'], asNobody);
  } catch (err) {
    const log = existsSync(join(dir, 'server.log')) ? readFileSync(join(dir, 'server.log'), 'utf8').slice(-2000) : '';
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${(err as Error).message}\n${log}`);
  }
  return {
    url: `postgres://elevate:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    async stop() {
      await run(join(bin, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', 'stop'], asNobody).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
