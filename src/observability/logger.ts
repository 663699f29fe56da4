import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

/** Anything shaped like a JWT (three base64url parts, the first two JSON objects). */
const JWT_SHAPE = /eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;

/** Field names whose values are credentials, wherever they appear in a log object. */
const SECRET_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  '*.access_token',
  '*.refresh_token',
  '*.id_token',
  '*.client_secret',
  '*.client_assertion',
  '*.assertion',
  '*.accessToken',
  '*.refreshToken',
  '*.idToken',
  '*.token',
  'access_token',
  'refresh_token',
  'id_token',
  'token',
  'accessToken',
];

function scrub(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.replace(JWT_SHAPE, '[redacted-jwt]');
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  // An Error's message and stack are not own enumerable fields: copy them across, scrubbed, and
  // keep the prototype so pino's err serializer still sees an Error (type, message, stack).
  if (value instanceof Error) {
    const copy = Object.create(Object.getPrototypeOf(value)) as Error;
    for (const [k, v] of Object.entries(value)) (copy as unknown as Record<string, unknown>)[k] = scrub(v, depth + 1);
    copy.message = scrub(value.message) as string;
    copy.stack = value.stack === undefined ? undefined : (scrub(value.stack) as string);
    return copy;
  }
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = scrub(v, depth + 1);
  return out;
}

/**
 * Structured JSON logs. Known credential fields are redacted by path, and as a second line of
 * defence every string is scrubbed of JWT-shaped text, so a token that reaches a log message by
 * accident (an SDK error that echoes a request, say) is still never written.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'elevate' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: SECRET_PATHS, censor: '[redacted]' },
      formatters: {
        level: (label) => ({ level: label }),
        log: (obj) => scrub(obj) as Record<string, unknown>,
      },
      hooks: {
        logMethod(args, method) {
          // Messages are scrubbed here; objects after pino's serializers, in formatters.log.
          const scrubbed = args.map((a) => (typeof a === 'string' ? scrub(a) : a)) as Parameters<typeof method>;
          return method.apply(this, scrubbed);
        },
      },
    },
    destination,
  );
}
