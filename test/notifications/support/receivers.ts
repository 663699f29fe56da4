/**
 * Local receivers started by the tests: one HTTP server standing in for Teams Workflows, Slack
 * incoming webhooks and a CloudEvents endpoint (each path its own channel), and an SMTP server
 * (`smtp-server`) standing in for the mail relay. They record exactly what arrived (raw bodies,
 * headers, mail source) and answer as scripted: a status queue per path, a hang, or going down.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  at: number;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  /** never answer (until the server closes) */
  hang?: boolean;
}

export interface HttpReceiver {
  url: string;
  port: number;
  received: Received[];
  /** replies for `path`, used one per request; when empty, 200 (Slack answers "ok", Teams 202) */
  script(path: string, replies: Reply[]): void;
  /** every request to `path` gets this reply */
  always(path: string, reply: Reply): void;
  hanging(): number;
  waitFor(predicate: (all: Received[]) => boolean, timeoutMs?: number): Promise<Received[]>;
  stop(): Promise<void>;
  /** listens again on the same port */
  restart(): Promise<void>;
  close(): Promise<void>;
}

async function until<T>(check: () => T | undefined | false, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function startHttpReceiver(): Promise<HttpReceiver> {
  const received: Received[] = [];
  const scripts = new Map<string, Reply[]>();
  const fixed = new Map<string, Reply>();
  const open = new Set<ServerResponse>();
  let hangingCount = 0;
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      received.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
      const reply = scripts.get(path)?.shift() ?? fixed.get(path) ?? { status: path.startsWith('/teams') ? 202 : 200 };
      if (reply.hang) {
        hangingCount += 1;
        open.add(res);
        res.on('close', () => {
          hangingCount -= 1;
          open.delete(res);
        });
        return;
      }
      res.writeHead(reply.status, { 'content-type': 'text/plain', ...(reply.headers ?? {}) });
      res.end(reply.status < 300 ? 'ok' : 'no');
    });
  };
  let server: Server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const stop = () =>
    new Promise<void>((r) => {
      for (const res of open) res.destroy();
      server.close(() => r());
      server.closeAllConnections();
    });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    received,
    script: (path, replies) => void scripts.set(path, [...replies]),
    always: (path, reply) => void fixed.set(path, reply),
    hanging: () => hangingCount,
    waitFor: (predicate, timeoutMs = 15_000) => until(() => (predicate(received) ? received : undefined), timeoutMs, 'the receiver'),
    stop,
    async restart() {
      server = createServer(handler);
      await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    },
    close: stop,
  };
}

export interface MailReceiver {
  url: string;
  messages: Array<{ from: string; to: string[]; raw: string }>;
  waitFor(count: number, timeoutMs?: number): Promise<MailReceiver['messages']>;
  close(): Promise<void>;
}

export async function startMailReceiver(): Promise<MailReceiver> {
  const messages: MailReceiver['messages'] = [];
  const server = new SMTPServer({
    // A local relay without TLS or AUTH; the channel's smtp:// URL says so.
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = ((server as unknown as { server: Server }).server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    waitFor: (count, timeoutMs = 15_000) => until(() => (messages.length >= count ? messages : undefined), timeoutMs, 'mail'),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** The decoded text of each MIME part (quoted-printable and base64 undone), by content type. */
export function mimeParts(raw: string): Record<string, string> {
  const boundary = /boundary="?([^";\r\n]+)"?/i.exec(raw)?.[1];
  const parts = boundary ? raw.split(`--${boundary}`).slice(1, -1) : [raw];
  const out: Record<string, string> = {};
  for (const part of parts) {
    const split = part.indexOf('\r\n\r\n');
    const head = part.slice(0, split);
    const body = part.slice(split + 4);
    const type = /content-type:\s*([^;\r\n]+)/i.exec(head)?.[1]?.toLowerCase() ?? 'text/plain';
    const encoding = /content-transfer-encoding:\s*(\S+)/i.exec(head)?.[1]?.toLowerCase();
    let text = body;
    if (encoding === 'base64') text = Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
    else if (encoding === 'quoted-printable') {
      const bytes = body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
      text = Buffer.from(bytes, 'latin1').toString('utf8');
    }
    out[type] = text.trim();
  }
  return out;
}
