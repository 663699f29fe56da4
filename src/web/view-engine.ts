import { fileURLToPath } from 'node:url';
import type { Express } from 'express';
import nunjucks from 'nunjucks';
import { breakAfterSlashes } from './present/escape-html.ts';
import { timeTag, type TimeTagOptions } from './present/time-tag.ts';
import { shortArmPath, shortId } from './present/short-labels.ts';

export const DEFAULT_VIEWS_DIR = fileURLToPath(new URL('../../views/', import.meta.url));

/**
 * Nunjucks over views/ with autoescape on, so every value a template prints is HTML-escaped
 * unless a template explicitly marks it safe (none should). Registered as the Express view
 * engine: routes call `res.render('page.njk', model)`.
 */
export function createViewEngine(app: Express, viewsDir = DEFAULT_VIEWS_DIR, options: { watch?: boolean } = {}): nunjucks.Environment {
  const env = new nunjucks.Environment(new nunjucks.FileSystemLoader(viewsDir, { noCache: options.watch ?? false }), {
    autoescape: true,
    throwOnUndefined: false,
    trimBlocks: true,
    lstripBlocks: true,
  });
  // timeTag builds its markup from escaped values only; SafeString keeps autoescape from escaping it twice.
  env.addGlobal('timeTag', (iso: unknown, options?: TimeTagOptions) => new nunjucks.runtime.SafeString(timeTag(iso, options)));
  env.addFilter('shortArmPath', (v: unknown) => (typeof v === 'string' ? shortArmPath(v) : v));
  env.addFilter('breakAfterSlashes', (v: unknown) => (typeof v === 'string' ? new nunjucks.runtime.SafeString(breakAfterSlashes(v)) : v));
  env.addFilter('shortId', (v: unknown) => (typeof v === 'string' ? shortId(v) : v));
  env.express(app);
  app.set('view engine', 'njk');
  app.set('views', viewsDir);
  return env;
}
