/** The hand-written common-alert-schema payloads of test/incidents/fixtures, as Microsoft documents them. */
import { readFileSync } from 'node:fs';

export const FIXTURES = ['metric-alert-fired', 'metric-alert-resolved', 'log-search-alert-fired', 'log-search-alert-resolved', 'activity-log-alert-fired'] as const;
export type FixtureName = (typeof FIXTURES)[number];

type Payload = { schemaId: string; data: { essentials: Record<string, unknown>; alertContext?: unknown; customProperties?: unknown } };

export function fixture(name: FixtureName): Payload {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8')) as Payload;
}

/** The fixture with another alert GUID (a different alert of the same rule). */
export function withAlertGuid(p: Payload, guid: string): Payload {
  const copy = JSON.parse(JSON.stringify(p)) as Payload;
  copy.data.essentials.alertId = String(copy.data.essentials.alertId).replace(/[0-9a-f-]{36}$/, guid);
  return copy;
}
