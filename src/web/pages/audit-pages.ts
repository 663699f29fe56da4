/**
 * The auditor's pages under /audit: search, entry, request timeline, overview, verify, export.
 * Read-only: the only POST runs verification (CSRF-checked), which changes nothing. Every route
 * checks the AuditLog ability itself; hiding links is cosmetic.
 */
import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { AppAction, AppSubject } from '../../access/app-permissions.ts';
import { CATEGORY_COLOURS, outcomeChartLayout } from '../../audit/audit-chart.ts';
import { AuditCursorError, type AuditOrder } from '../../audit/audit-cursor.ts';
import { EXPORT_CONTENT_TYPES, isExportFormat, writeAuditExport } from '../../audit/audit-export.ts';
import { CATEGORY_LABELS, OUTCOME_CATEGORIES } from '../../audit/audit-overview.ts';
import type { OverviewSource } from '../../audit/audit-overview-source.ts';
import { AuditQueryError, type AuditQuery } from '../../audit/audit-query.ts';
import { AuditSearchError, isEmptySearch, parseAuditSearch, type AuditSearch } from '../../audit/audit-search.ts';
import type { AuditVerifier } from '../../audit/audit-verifier.ts';
import { entryModel, entryRow, exportHref, type AgentNames, filterValues, listHref, timelineRows, timelineSummary } from './audit-view-models.ts';
import { HttpError } from '../http-error.ts';

export interface AuditPagesDeps {
  query: AuditQuery;
  overview: OverviewSource;
  verifier: AuditVerifier;
  requireAbility: (action: AppAction, subject: AppSubject) => RequestHandler;
  csrfProtection: RequestHandler;
  clock?: () => Date;
  logger?: { warn(obj: object, msg: string): void };
  /** Agent names by id (lower-case), so pages show names beside ids; without it, ids only. */
  agentNames?: () => Promise<AgentNames>;
  /** The incident a request is tied to (src/incidents), for the timeline's link; without it, none. */
  incidentOfRequest?: (requestId: string) => Promise<string | undefined>;
}

const PAGE_SIZE = 50;

/** A bad search is the user's error: a 400 with the parser's one-line message. */
export function searchFailure(err: unknown): HttpError | undefined {
  if (err instanceof AuditSearchError || err instanceof AuditCursorError || err instanceof AuditQueryError) return new HttpError(400, 'bad_search', err.message);
  return undefined;
}

function orderParam(value: unknown): AuditOrder {
  if (value === undefined || value === '' || value === 'desc') return 'desc';
  if (value === 'asc') return 'asc';
  throw new AuditQueryError('order must be desc or asc');
}

function single(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new AuditSearchError(`${name} may be given once`);
  return value;
}

const asyncRoute =
  (fn: (req: Request, res: Response) => Promise<void>): RequestHandler =>
  (req, res, next) => {
    fn(req, res).catch((err: unknown) => next(searchFailure(err) ?? err));
  };

export function auditPages(deps: AuditPagesDeps): Router {
  const router = Router();
  const read = deps.requireAbility('read', 'AuditLog');
  const clock = deps.clock ?? (() => new Date());
  // Names are a courtesy: a registry that cannot answer leaves the ids, which are the record.
  const agentNames = async (): Promise<AgentNames> => (deps.agentNames ? deps.agentNames().catch(() => new Map<string, string>()) : new Map<string, string>());
  const noStore: RequestHandler = (_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  };
  router.use(noStore);

  router.get(
    '/',
    read,
    asyncRoute(async (req, res) => {
      const query = req.query as Record<string, unknown>;
      let search: AuditSearch = {};
      let order: AuditOrder = 'desc';
      try {
        search = parseAuditSearch(query, ['cursor', 'order']);
        order = orderParam(query.order);
        const cursor = single(query.cursor, 'cursor');
        const [page, names] = await Promise.all([deps.query.page(search, { limit: PAGE_SIZE, order, ...(cursor ? { cursor } : {}) }), agentNames()]);
        res.render('audit/list.njk', {
          filters: filterValues(search),
          order,
          filtered: !isEmptySearch(search),
          rows: page.entries.map((e) => entryRow(e, names)),
          nextHref: page.nextCursor ? listHref(search, { cursor: page.nextCursor, ...(order === 'asc' ? { order } : {}) }) : null,
          firstHref: cursor ? listHref(search, order === 'asc' ? { order } : {}) : null,
          exportJsonl: exportHref(search, 'jsonl', order),
          exportCsv: exportHref(search, 'csv', order),
        });
      } catch (err) {
        const failure = searchFailure(err);
        if (!failure) throw err;
        // Show the form again with what was typed, and the one-line reason.
        res.status(400).render('audit/list.njk', { filters: filterValuesFromRaw(query), order, error: failure.message, rows: [], filtered: true });
      }
    }),
  );

  router.get(
    '/entries/:seq',
    read,
    asyncRoute(async (req, res) => {
      const raw = String(req.params.seq);
      const seq = /^[1-9][0-9]{0,15}$/.test(raw) ? Number(raw) : NaN;
      const entry = Number.isSafeInteger(seq) ? await deps.query.entry(seq) : undefined;
      if (!entry) throw new HttpError(404, 'not_found', 'no audit entry with that sequence number (it may have been archived)');
      res.render('audit/entry.njk', entryModel(entry, await agentNames()));
    }),
  );

  router.get(
    '/requests/:requestId',
    read,
    asyncRoute(async (req, res) => {
      const requestId = String(req.params.requestId);
      if (requestId.length > 1024) throw new HttpError(400, 'bad_search', 'request id is too long');
      const { entries, truncated } = await deps.query.timeline(requestId);
      if (entries.length === 0) throw new HttpError(404, 'not_found', 'no audit entries for that request');
      const rows = timelineRows(entries);
      const incidentId = deps.incidentOfRequest ? await deps.incidentOfRequest(requestId).catch(() => undefined) : undefined;
      res.render('audit/timeline.njk', {
        requestId,
        rows,
        truncated,
        summary: timelineSummary(rows),
        searchHref: listHref({ requestId }),
        incident: incidentId ? { id: incidentId, href: `/incidents/${encodeURIComponent(incidentId)}`, searchHref: listHref({ incidentId }) } : undefined,
      });
    }),
  );

  router.get(
    '/overview',
    read,
    asyncRoute(async (_req, res) => {
      const overview = await deps.overview.overview(30);
      res.render('audit/overview.njk', {
        overview,
        chart: outcomeChartLayout(overview.days),
        categories: OUTCOME_CATEGORIES.map((c) => ({ id: c, label: CATEGORY_LABELS[c], total: overview.totals[c], colour: CATEGORY_COLOURS[c] })),
        actionHref: (action: string) => listHref({ action, eventType: 'operation.requested', outcome: 'pending_elevation' }),
      });
    }),
  );

  router.get('/verify', deps.requireAbility('verify', 'AuditLog'), (_req, res) => {
    res.render('audit/verify.njk', { report: deps.verifier.last(), checksCheckpoints: deps.verifier.checksCheckpoints });
  });

  router.post(
    '/verify',
    deps.csrfProtection,
    deps.requireAbility('verify', 'AuditLog'),
    asyncRoute(async (_req, res) => {
      const report = await deps.verifier.run();
      res.status(report.ok ? 200 : 409).render('audit/verify.njk', { report, ran: true, checksCheckpoints: deps.verifier.checksCheckpoints });
    }),
  );

  router.get(
    '/export',
    deps.requireAbility('export', 'AuditLog'),
    asyncRoute(async (req, res) => {
      const query = req.query as Record<string, unknown>;
      const search = parseAuditSearch(query, ['format', 'order']);
      const order = orderParam(query.order);
      const format = single(query.format, 'format') ?? 'jsonl';
      if (!isExportFormat(format)) throw new HttpError(400, 'bad_search', 'format must be jsonl or csv');
      const stamp = clock().toISOString().replace(/[:.]/g, '-');
      res.status(200);
      res.set('Content-Type', EXPORT_CONTENT_TYPES[format]);
      res.set('Content-Disposition', `attachment; filename="elevate-audit-${stamp}.${format}"`);
      res.set('X-Content-Type-Options', 'nosniff');
      try {
        await writeAuditExport(deps.query, search, res, { format, order, clock });
      } catch (err) {
        // Headers are gone: the cut-off file (no trailer) is how the client learns of it.
        deps.logger?.warn({ reason: (err as Error).message }, 'audit export interrupted');
        res.destroy();
      }
    }),
  );

  return router;
}

/** The raw form values, for redisplay after an error (escaped by the template like any value). */
function filterValuesFromRaw(query: Record<string, unknown>): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [k, v] of Object.entries(query)) if (typeof v === 'string') values[k] = v.slice(0, 1024);
  return values;
}
