/**
 * The sandbox's Azure Database for PostgreSQL sign-in: a TCP front before a real PostgreSQL that
 * does what Azure's server does when a Microsoft Entra principal connects, then hands the
 * connection to the real server, byte for byte.
 *
 * - TLS is required: a client that does not ask for it gets `FATAL: SSL connection is required`
 *   (Azure's default, require_secure_transport=ON,
 *   https://learn.microsoft.com/azure/postgresql/flexible-server/security-tls).
 * - The password is asked for in clear, inside TLS (AuthenticationCleartextPassword), and must be an
 *   Entra access token that passes postgres-token-check.ts for the role the client names: the
 *   role was created for that principal's object id. Anything else is `28P01 password
 *   authentication failed for user "…"`, as for a wrong password, and the connection ends.
 * - Then the real server gets the client's own startup message. Its pg_hba.conf trusts the Entra
 *   principals' roles from loopback (test/support/throwaway-postgres.ts), so it answers
 *   AuthenticationOk and everything after it exactly as it would to the client.
 *
 * Every sign-in is recorded (role, database, accepted or why not; never the token).
 */
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { createSecureContext, TLSSocket } from 'node:tls';
import type { TokenCheck } from './postgres-token-check.ts';
import {
  CANCEL_REQUEST_CODE,
  cleartextPasswordRequest,
  fatalError,
  GSSENC_REQUEST_CODE,
  MessageReader,
  passwordOf,
  PROTOCOL_3,
  SSL_REQUEST_CODE,
  startupCode,
  startupParameters,
} from './postgres-wire.ts';

export interface PostgresEntraFrontOptions {
  /** The real server behind the front. */
  backend: { host: string; port: number };
  /** The front's certificate (the sandbox's, from its CA) and key. */
  tls: { cert: string; key: string };
  /** The roles created for Entra principals: role name → the principal's object id. */
  principals: ReadonlyMap<string, string>;
  checkToken: (token: string) => Promise<TokenCheck>;
  /** Default 127.0.0.1, port 0 (any free one). */
  host?: string;
  port?: number;
}

export interface SignInRecord {
  role: string;
  database: string;
  accepted: boolean;
  /** Why it was refused: the token check's reason, `not_this_principal`, or `no_such_role`. */
  reason?: string;
}

export interface PostgresEntraFront {
  port: number;
  readonly signIns: readonly SignInRecord[];
  close(): Promise<void>;
}

const SSL_REQUIRED = 'SSL connection is required. Please specify SSL options and retry.';

/** Reads whole messages from whichever socket currently carries the connection. */
class Incoming {
  readonly reader = new MessageReader();
  private socket: Socket | undefined;
  private wake: (() => void) | undefined;
  private ended: Error | undefined;
  private readonly onData = (chunk: Buffer) => {
    this.reader.push(chunk);
    this.wake?.();
  };
  private readonly onEnd = () => {
    this.ended ??= new Error('connection closed during sign-in');
    this.wake?.();
  };

  attach(socket: Socket): void {
    this.detach();
    this.socket = socket;
    socket.on('data', this.onData).on('end', this.onEnd).on('close', this.onEnd).on('error', this.onEnd);
  }

  detach(): void {
    this.socket?.off('data', this.onData).off('end', this.onEnd).off('close', this.onEnd).off('error', this.onEnd);
    this.socket = undefined;
  }

  async next<T>(read: () => T | undefined): Promise<T> {
    for (;;) {
      const message = read();
      if (message !== undefined) return message;
      if (this.ended) throw this.ended;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }
}

export async function startPostgresEntraFront(opts: PostgresEntraFrontOptions): Promise<PostgresEntraFront> {
  const secureContext = createSecureContext({ cert: opts.tls.cert, key: opts.tls.key });
  const signIns: SignInRecord[] = [];
  const open = new Set<Socket>();

  async function serve(raw: Socket): Promise<void> {
    const incoming = new Incoming();
    incoming.attach(raw);
    let client: Socket = raw;
    let startup = await incoming.next(() => incoming.reader.untyped());
    if (startupCode(startup) === GSSENC_REQUEST_CODE) {
      raw.write('N');
      startup = await incoming.next(() => incoming.reader.untyped());
    }
    if (startupCode(startup) === CANCEL_REQUEST_CODE) return void raw.end();
    if (startupCode(startup) === SSL_REQUEST_CODE) {
      // Nothing may follow the request before the handshake (CVE-2021-23214's lesson).
      if (incoming.reader.rest().length > 0) return void raw.destroy();
      incoming.detach();
      raw.write('S');
      const secured = new TLSSocket(raw, { isServer: true, secureContext });
      open.add(secured);
      client = secured;
      incoming.attach(secured);
      startup = await incoming.next(() => incoming.reader.untyped());
    } else if (startupCode(startup) === PROTOCOL_3) {
      return void raw.end(fatalError('28000', SSL_REQUIRED));
    }
    if (startupCode(startup) !== PROTOCOL_3) return void client.end(fatalError('0A000', 'unsupported frontend protocol'));

    const params = startupParameters(startup);
    const role = params.get('user') ?? '';
    const database = params.get('database') ?? role;
    client.write(cleartextPasswordRequest());
    const answer = await incoming.next(() => incoming.reader.typed());
    if (answer.type !== 'p') return void client.end(fatalError('08P01', `expected password response, got message type ${JSON.stringify(answer.type)}`));
    const check = await opts.checkToken(passwordOf(answer.body));
    const principal = opts.principals.get(role);
    const reason = !check.ok ? check.reason : principal === undefined ? 'no_such_role' : principal !== check.oid ? 'not_this_principal' : undefined;
    signIns.push({ role, database, accepted: reason === undefined, ...(reason ? { reason } : {}) });
    if (reason) return void client.end(fatalError('28P01', `password authentication failed for user "${role}"`));

    // Signed in: the real server takes the connection from its startup message on.
    incoming.detach();
    const backend = connect(opts.backend.port, opts.backend.host);
    open.add(backend);
    const rest = incoming.reader.rest();
    backend.write(startup);
    if (rest.length > 0) backend.write(rest);
    const closeBoth = () => {
      client.destroy();
      backend.destroy();
    };
    backend.on('error', closeBoth).on('close', closeBoth);
    client.on('error', closeBoth).on('close', closeBoth);
    client.pipe(backend);
    backend.pipe(client);
  }

  const server: Server = createServer((raw) => {
    open.add(raw);
    raw.on('close', () => open.delete(raw));
    raw.on('error', () => undefined);
    serve(raw).catch(() => raw.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    signIns,
    async close() {
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
