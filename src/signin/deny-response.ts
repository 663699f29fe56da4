import type { Request, Response } from 'express';

/**
 * Browser pages get an HTML page, the API and scripts get JSON. `/api/` is JSON whatever the
 * Accept header says, so an agent never has to parse a page.
 */
export function wantsJson(req: Request): boolean {
  if (req.originalUrl.startsWith('/api/') || req.originalUrl === '/api') return true;
  return req.accepts(['html', 'json']) === 'json';
}

export interface Denial {
  status: 401 | 403 | 429;
  /** Machine-readable code for JSON callers. */
  error: string;
  /** One sentence for people. */
  message: string;
  /** The template for browsers, under views/. */
  view: string;
  /** Extra template variables. */
  locals?: Record<string, unknown>;
}

export function sendDenial(req: Request, res: Response, denial: Denial): void {
  res.status(denial.status);
  if (wantsJson(req)) {
    res.json({ error: denial.error, message: denial.message });
    return;
  }
  res.render(denial.view, { message: denial.message, ...denial.locals });
}
