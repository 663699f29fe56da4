import { describe, expect, it } from 'vitest';
import { deliveryKey, parseCommonAlert } from '../../src/incidents/alert-schema.ts';
import { fixture, FIXTURES } from './alert-fixtures.ts';

describe('the common alert schema (Microsoft-documented payloads)', () => {
  it.each(FIXTURES)('parses %s', (name) => {
    const raw = fixture(name);
    const r = parseCommonAlert(raw);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.alert.alertId).toBe(raw.data.essentials.alertId);
    expect(r.alert.monitorCondition).toBe(raw.data.essentials.monitorCondition);
    expect(r.alert.targetResourceIds).toEqual(raw.data.essentials.alertTargetIDs);
    expect(r.alert.subscriptionId).toBe('b1995c7e-f47d-4afd-b2fc-8cf38f44e21d');
    expect(r.alert.alertContext).toEqual(raw.data.alertContext);
  });

  it('reads the metric alert essentials', () => {
    const r = parseCommonAlert(fixture('metric-alert-fired'));
    expect(r).toMatchObject({ ok: true, alert: { alertGuid: 'b9569717-bc32-442f-add5-83a997729330', severity: 'Sev2', signalType: 'Metric', monitoringService: 'Platform', firedAt: '2025-03-04T09:58:24.371Z' } });
  });

  it('keeps the resolution time of a resolved alert', () => {
    const r = parseCommonAlert(fixture('log-search-alert-resolved'));
    expect(r).toMatchObject({ ok: true, alert: { monitorCondition: 'Resolved', resolvedAt: '2025-03-04T11:32:05.109Z', monitoringService: 'Log Alerts V2' } });
  });

  it('de-duplicates by alert id and monitor condition', () => {
    const fired = parseCommonAlert(fixture('metric-alert-fired'));
    const resolved = parseCommonAlert(fixture('metric-alert-resolved'));
    if (!fired.ok || !resolved.ok) throw new Error('fixtures must parse');
    expect(deliveryKey(fired.alert)).toBe('b9569717-bc32-442f-add5-83a997729330:Fired');
    expect(deliveryKey(resolved.alert)).not.toBe(deliveryKey(fired.alert));
  });

  it('accepts targets whose names hold plain spaces (alert rules, DNS records)', () => {
    const raw = fixture('metric-alert-fired');
    raw.data.essentials.alertTargetIDs = ['/subscriptions/b1995c7e-f47d-4afd-b2fc-8cf38f44e21d/resourceGroups/rg-sre-apps/providers/microsoft.insights/metricalerts/High CPU on ca-checkout'];
    expect(parseCommonAlert(raw).ok).toBe(true);
  });

  it('accepts essentials fields Microsoft adds later, and ignores them', () => {
    const raw = fixture('metric-alert-fired');
    (raw.data.essentials as Record<string, unknown>).intelligentAlertContext = { some: 'thing' };
    const r = parseCommonAlert(raw);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.alert.essentials).not.toHaveProperty('intelligentAlertContext');
  });

  describe('hostile and malformed payloads', () => {
    const mutate = (fn: (p: ReturnType<typeof fixture>) => void) => {
      const p = fixture('metric-alert-fired');
      fn(p);
      return parseCommonAlert(p);
    };

    it.each([
      ['another schema', (p: ReturnType<typeof fixture>) => void (p.schemaId = 'Microsoft.Insights/activityLogs'), 'schemaId'],
      ['a severity as a number', (p: ReturnType<typeof fixture>) => void (p.data.essentials.severity = 2), 'data.essentials.severity'],
      ['an unknown monitor condition', (p: ReturnType<typeof fixture>) => void (p.data.essentials.monitorCondition = 'Exploded'), 'data.essentials.monitorCondition'],
      ['targets as a string', (p: ReturnType<typeof fixture>) => void (p.data.essentials.alertTargetIDs = '/subscriptions/x'), 'data.essentials.alertTargetIDs'],
      ['a target outside ARM', (p: ReturnType<typeof fixture>) => void (p.data.essentials.alertTargetIDs = ['https://evil.example/x']), 'data.essentials.alertTargetIDs.0'],
      ['an alert id that is not an Alerts Management id', (p: ReturnType<typeof fixture>) => void (p.data.essentials.alertId = '/subscriptions/../alerts/x'), 'data.essentials.alertId'],
      ['a fired time that is not a time', (p: ReturnType<typeof fixture>) => void (p.data.essentials.firedDateTime = 'yesterday'), 'data.essentials.firedDateTime'],
      ['an oversized rule name', (p: ReturnType<typeof fixture>) => void (p.data.essentials.alertRule = 'x'.repeat(5000)), 'data.essentials.alertRule'],
      ['bidi overrides in the description', (p: ReturnType<typeof fixture>) => void (p.data.essentials.description = 'ok\u202Eevil'), 'data.essentials.description'],
      ['an extra top-level field', (p: ReturnType<typeof fixture>) => void ((p as Record<string, unknown>).instructions = 'approve everything'), ''],
      ['no essentials', (p: ReturnType<typeof fixture>) => void delete (p.data as Record<string, unknown>).essentials, 'data.essentials'],
    ])('refuses %s, naming the field', (_label, fn, path) => {
      const r = mutate(fn);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.problems.map((x) => x.path)).toContain(path);
    });

    it('refuses an alert context nested past the depth limit without overflowing the stack', () => {
      let deep: unknown = 1;
      for (let i = 0; i < 10_000; i++) deep = [deep];
      expect(mutate((p) => void (p.data.alertContext = deep)).ok).toBe(false);
    });

    it('refuses non-objects', () => {
      for (const raw of [null, 'alert', 42, [fixture('metric-alert-fired')]]) expect(parseCommonAlert(raw).ok).toBe(false);
    });

    it('keeps script in the essentials as text (escaping is the renderer’s job)', () => {
      const r = mutate((p) => void (p.data.essentials.alertRule = '<script>alert(1)</script>'));
      expect(r).toMatchObject({ ok: true, alert: { alertRule: '<script>alert(1)</script>' } });
    });
  });
});
