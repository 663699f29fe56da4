import express from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import type { RefusalRecorder } from '../../src/audit/audit-refusals.ts';
import type { AuditInput } from '../../src/audit/audit-types.ts';
import { auditHttpRefusals, routeShape } from '../../src/web/pages/audit-refusal-middleware.ts';

const SECRET = 'Zq7' + 'u'.repeat(37);

describe('the audit of 401 and 403 answers', () => {
  it('records an alert source\'s refused URL secret by route shape only, in every field', async () => {
    const recorded: AuditInput[] = [];
    const recorder = {
      record: async (_identity: string, reason: string, entry: AuditInput) => {
        recorded.push({ ...entry, details: { ...entry.details, recordedReason: reason } });
      },
    } as unknown as RefusalRecorder;
    const app = express();
    app.use(auditHttpRefusals(recorder));
    app.post('/api/v1/alerts/sources/:source/:secret', (_req, res) => void res.sendStatus(401));
    // A short secret too: the shape's placeholder for long segments must not be what hides it.
    for (const secret of [SECRET, 'short1']) {
      expect((await request(app).post(`/api/v1/alerts/sources/Pager/${secret}`)).status).toBe(401);
    }
    await new Promise((resolve) => setImmediate(resolve));
    expect(recorded).toHaveLength(2);
    const text = JSON.stringify(recorded);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('short1');
    expect(recorded[0]!.details).toMatchObject({ path: '/api/v1/alerts/sources/Pager/[redacted]', route: '/api/v1/alerts/sources/Pager/[redacted]' });
    expect(routeShape(`/api/v1/alerts/sources/pager/${SECRET}?a=1`)).toBe('/api/v1/alerts/sources/pager/[redacted]');
  });
});
