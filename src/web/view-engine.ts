import { fileURLToPath } from 'node:url';
import type { Express } from 'express';
import nunjucks from 'nunjucks';

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
  env.express(app);
  app.set('view engine', 'njk');
  app.set('views', viewsDir);
  return env;
}
