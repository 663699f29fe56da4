/**
 * The incident pages under /incidents: the list (newest first, by state) and one incident with
 * its alert, every operation tied to it, their approvals and on-behalf-of elevations, and links
 * into the audit log. Reading needs Incident:read (CASL, service-roles.yaml).
 */
import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { AppAction, AppSubject } from '../../access/app-permissions.ts';
import type { IncidentActivity } from '../../incidents/incident-activity.ts';
import { INCIDENT_STATES, type IncidentState } from '../../incidents/incident-state.ts';
import type { IncidentStore } from '../../incidents/incident-store.ts';
import { decodeCursor, encodeCursor } from '../../operations/request-listing.ts';
import { HttpError } from '../http-error.ts';
import { incidentModel, incidentRow } from './incident-view-models.ts';

export interface IncidentPagesDeps {
  store: IncidentStore;
  activity: IncidentActivity;
  agentNames: () => Promise<ReadonlyMap<string, string>>;
  requireAbility: (action: AppAction, subject: AppSubject) => RequestHandler;
}

const PAGE_SIZE = 50;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function incidentPages(deps: IncidentPagesDeps): Router {
  const router = Router();
  const read = deps.requireAbility('read', 'Incident');
  const names = () => deps.agentNames().catch(() => new Map<string, string>());
  const wrap = (fn: (req: Request, res: Response) => Promise<void>): RequestHandler => (req, res, next) => void fn(req, res).catch(next);
  router.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });

  router.get(
    '/',
    read,
    wrap(async (req, res) => {
      const rawState = req.query.state;
      const state = typeof rawState === 'string' && (INCIDENT_STATES as readonly string[]).includes(rawState) ? (rawState as IncidentState) : undefined;
      if (rawState !== undefined && rawState !== '' && !state) throw new HttpError(400, 'bad_filter', `state must be one of ${INCIDENT_STATES.join(', ')}`);
      const after = typeof req.query.cursor === 'string' ? decodeCursor(req.query.cursor) : undefined;
      if (req.query.cursor !== undefined && !after) throw new HttpError(400, 'bad_cursor', 'cursor is not one this page produced');
      const [rows, agentNames] = await Promise.all([deps.store.list({ state, limit: PAGE_SIZE + 1, after, order: 'desc' }), names()]);
      const shown = rows.slice(0, PAGE_SIZE);
      const next = rows.length > PAGE_SIZE ? `/incidents?${new URLSearchParams({ ...(state ? { state } : {}), cursor: encodeCursor(shown.at(-1)!) }).toString()}` : null;
      res.render('incidents/list.njk', { incidents: shown.map((i) => incidentRow(i, agentNames)), states: INCIDENT_STATES, state, nextHref: next });
    }),
  );

  router.get(
    '/:id',
    read,
    wrap(async (req, res) => {
      const id = String(req.params.id);
      const incident = GUID.test(id) ? await deps.store.get(id.toLowerCase()) : undefined;
      if (!incident) throw new HttpError(404, 'not_found', 'no such incident');
      const [operations, agentNames, deliveries] = await Promise.all([deps.activity.operations(incident.id), names(), deps.store.deliveryCount(incident.id)]);
      res.render('incidents/incident.njk', { i: incidentModel(incident, operations, agentNames, deliveries) });
    }),
  );
  return router;
}
