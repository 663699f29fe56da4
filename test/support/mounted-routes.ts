/**
 * Every route an Express 5 app has mounted, read from its router (router 2.x layers keep the
 * path they were created with as `rawPath`): nested routers are walked with their mount paths
 * prefixed. A route added later is swept without anyone listing it.
 */
import type { Express } from 'express';

export interface MountedRoute {
  method: string;
  /** full path pattern, e.g. /approvals/:id/decision */
  path: string;
}

interface LayerLike {
  rawPath?: unknown;
  route?: { path: unknown; methods: Record<string, boolean> };
  handle?: { stack?: LayerLike[] };
}

const join = (prefix: string, path: string) => `${prefix.replace(/\/$/, '')}${path.startsWith('/') ? path : `/${path}`}` || '/';

function walk(stack: readonly LayerLike[], prefix: string, out: MountedRoute[]): void {
  for (const layer of stack) {
    const raw = layer.rawPath;
    const paths = (Array.isArray(raw) ? raw : [raw]).filter((p): p is string => typeof p === 'string');
    if (layer.route) {
      const routePaths = (Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path]).filter((p): p is string => typeof p === 'string');
      for (const p of routePaths) for (const m of Object.keys(layer.route.methods)) if (layer.route.methods[m]) out.push({ method: m.toUpperCase(), path: join(prefix, p) });
    } else if (Array.isArray(layer.handle?.stack)) {
      for (const p of paths.length > 0 ? paths : ['/']) walk(layer.handle.stack, p === '/' ? prefix : join(prefix, p), out);
    }
  }
}

export function mountedRoutes(app: Express): MountedRoute[] {
  const router = (app as unknown as { router: { stack: LayerLike[] } }).router;
  const out: MountedRoute[] = [];
  walk(router.stack, '', out);
  return out;
}

/** The route's path with each `:param` (and `*splat`) replaced by `value`, kept raw (not re-encoded). */
export function fillParams(path: string, value: string): string {
  return path.replace(/[:*][A-Za-z_$][A-Za-z0-9_$]*/g, value).replace(/[{}]/g, '');
}

export const hasParam = (path: string) => /[:*][A-Za-z_$]/.test(path);
