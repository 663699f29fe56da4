import { Router } from 'express';
import type { AppAction, AppSubject } from '../access/app-permissions.ts';
import type { HomeModel } from './home-model.ts';

export type { HomeModel } from './home-model.ts';

/** Who is looking at the start page: what it shows depends on what they may see. */
export interface HomeViewer {
  signedIn: boolean;
  can(action: AppAction, subject: AppSubject): boolean;
}

const DEFAULT_HOME: HomeModel = {
  title: 'Elevate',
  summary: "Permission governance and one-time on-behalf-of elevation for the SRE agent's managed identity.",
};

interface LocalAbility {
  can(action: string, subject: string): boolean;
}

/** The start page: a capability supplies the dashboard (pending, decisions, agents); it reads what the viewer's role may see. */
export function homeRoute(load: ((viewer: HomeViewer) => Promise<HomeModel> | HomeModel) | undefined): Router {
  const router = Router();
  router.get('/', async (_req, res) => {
    const ability = res.locals.ability as LocalAbility | undefined;
    const viewer: HomeViewer = {
      signedIn: res.locals.user !== undefined && res.locals.user !== null,
      can: (action, subject) => ability?.can(action, subject) ?? false,
    };
    const model = load ? await load(viewer) : DEFAULT_HOME;
    res.set('Cache-Control', 'no-store');
    res.render('home.njk', { home: model });
  });
  return router;
}
