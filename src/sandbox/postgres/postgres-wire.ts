/**
 * The few messages of PostgreSQL's frontend/backend protocol (version 3) a sign-in front reads and
 * writes before it hands the connection to the real server: SSLRequest, the startup message, a
 * cleartext password request and its answer, and ErrorResponse.
 * https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-START-UP
 * https://www.postgresql.org/docs/current/protocol-message-formats.html
 */

export const SSL_REQUEST_CODE = 80877103;
export const GSSENC_REQUEST_CODE = 80877104;
export const CANCEL_REQUEST_CODE = 80877102;
export const PROTOCOL_3 = 196608;
/** The server's own limit on a startup packet (MAX_STARTUP_PACKET_LENGTH). */
const MAX_STARTUP_BYTES = 10_000;
/** A password message carries a token of a few KB; nothing a sign-in reads is larger. */
const MAX_TYPED_BYTES = 64 * 1024;

export class ProtocolViolation extends Error {}

/** Accumulates a connection's bytes and hands out whole messages. */
export class MessageReader {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
  }

  /** A message without a type byte (SSLRequest, StartupMessage): Int32 length, itself included. */
  untyped(): Buffer | undefined {
    if (this.buf.length < 4) return undefined;
    const length = this.buf.readInt32BE(0);
    if (length < 8 || length > MAX_STARTUP_BYTES) throw new ProtocolViolation('invalid length of startup packet');
    return this.take(length);
  }

  /** A typed message: one type byte, then Int32 length (itself included), then the body. */
  typed(): { type: string; body: Buffer } | undefined {
    if (this.buf.length < 5) return undefined;
    const length = this.buf.readInt32BE(1);
    if (length < 4 || length > MAX_TYPED_BYTES) throw new ProtocolViolation('invalid message length');
    const message = this.take(length + 1);
    return message && { type: String.fromCharCode(message[0]!), body: message.subarray(5) };
  }

  /** What arrived after the last whole message. */
  rest(): Buffer {
    const rest = this.buf;
    this.buf = Buffer.alloc(0);
    return rest;
  }

  private take(length: number): Buffer | undefined {
    if (this.buf.length < length) return undefined;
    const message = this.buf.subarray(0, length);
    this.buf = this.buf.subarray(length);
    return message;
  }
}

/** The request code of an untyped message (SSLRequest, GSSENCRequest, CancelRequest) or the protocol version of a startup message. */
export function startupCode(message: Buffer): number {
  return message.readInt32BE(4);
}

/** A startup message's parameters (user, database, options, …): NUL-terminated name and value pairs. */
export function startupParameters(message: Buffer): Map<string, string> {
  const parts = message.subarray(8).toString('utf8').split('\0');
  const params = new Map<string, string>();
  for (let i = 0; i + 1 < parts.length && parts[i] !== ''; i += 2) params.set(parts[i]!, parts[i + 1]!);
  return params;
}

/** AuthenticationCleartextPassword: the server asks for the password in clear (over TLS). */
export function cleartextPasswordRequest(): Buffer {
  const m = Buffer.alloc(9);
  m.write('R', 0, 'latin1');
  m.writeInt32BE(8, 1);
  m.writeInt32BE(3, 5);
  return m;
}

/** The password of a PasswordMessage ('p'): a NUL-terminated string. */
export function passwordOf(body: Buffer): string {
  const end = body.indexOf(0);
  return body.subarray(0, end < 0 ? body.length : end).toString('utf8');
}

/** ErrorResponse with severity FATAL: the server closes the connection after it. */
export function fatalError(sqlState: string, message: string): Buffer {
  const fields = Buffer.from(`SFATAL\0VFATAL\0C${sqlState}\0M${message}\0\0`, 'utf8');
  const head = Buffer.alloc(5);
  head.write('E', 0, 'latin1');
  head.writeInt32BE(fields.length + 4, 1);
  return Buffer.concat([head, fields]);
}
