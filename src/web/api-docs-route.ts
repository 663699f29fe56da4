import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import express, { Router, type RequestHandler } from 'express';

/** Where swagger-ui-dist's prebuilt files are (its own package folder). */
export const SWAGGER_UI_DIR = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

/** The only files of swagger-ui-dist the page loads; nothing else in the package is served. */
const SWAGGER_FILES = new Set(['/swagger-ui.css', '/swagger-ui-bundle.js']);

/**
 * Swagger UI for the agent API's OpenAPI document, under the strict CSP: swagger-ui-dist's
 * bundle and stylesheet served from our origin (no CDN), started by public/js/api-docs.js (no
 * inline script). A person reads the API here; calling it still needs an agent's bearer token.
 */
export function apiDocsRoute(options: { docsPath: string; specPath: string; assetsPath: string }): Router {
  const router = Router();
  router.get(options.docsPath, (_req, res) => {
    res.render('api-docs.njk', { specPath: options.specPath, assetsPath: options.assetsPath });
  });
  return router;
}

/** Static swagger-ui-dist files for the page (mount at the page's assetsPath, beside /static). */
export function swaggerUiAssets(): RequestHandler {
  const assets = express.static(SWAGGER_UI_DIR, { index: false, fallthrough: true, maxAge: '1h' });
  return (req, res, next) => (SWAGGER_FILES.has(req.path) ? assets(req, res, next) : next());
}
