import { Router } from 'express';

/** What the start page shows; a capability can supply its own (e.g. pending approvals). */
export interface HomeModel {
  title: string;
  summary?: string;
}

const DEFAULT_HOME: HomeModel = {
  title: 'Elevate',
  summary: "Permission governance and one-time on-behalf-of elevation for the SRE agent's managed identity.",
};

export function homeRoute(load: (() => Promise<HomeModel> | HomeModel) | undefined): Router {
  const router = Router();
  router.get('/', async (_req, res) => {
    const model = load ? await load() : DEFAULT_HOME;
    res.render('home.njk', { home: model });
  });
  return router;
}
