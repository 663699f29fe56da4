import type { z } from 'zod';
import { errorResult } from '../tool-results.ts';

/** Arguments a tool checks itself (not a submission), refused the way the API refuses a bad query. */
export function argumentRefusal(error: z.ZodError) {
  const fields = error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
  const head = fields.slice(0, 3).map((f) => `${f.path || '(arguments)'}: ${f.message}`).join('; ');
  return errorResult({ status: 400, code: 'invalid_request', message: `invalid request: ${head}`, fields });
}
