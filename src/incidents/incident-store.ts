/**
 * SQLite rows of incidents (migrations/016_incidents.sql): insert, read, compare-and-set state
 * changes, the delivery ledger that de-duplicates webhook repeats, and the keyset-paged lists.
 */
import type { Database, Queryable, SqlValue } from '../store/database.ts';
import type { Alert } from './alert-schema.ts';
import type { IncidentState } from './incident-state.ts';
import type { Incident } from './incident-types.ts';

interface IncidentRow {
  id: string;
  alert_id: string;
  alert_rule: string;
  severity: string;
  signal_type: string;
  monitoring_service: string;
  monitor_condition: string;
  description: string | null;
  target_resource_ids_json: string;
  resource_group_ids_json: string;
  agent_id: string | null;
  state: string;
  version: number;
  source: string;
  essentials_json: string;
  alert_context_json: string | null;
  fired_at: string;
  resolved_at: string | null;
  created_at: string;
  updated_at: string;
  state_reason: string | null;
}

const COLUMNS = `id, alert_id, alert_rule, severity, signal_type, monitoring_service, monitor_condition, description,
  target_resource_ids_json, resource_group_ids_json, agent_id, state, version, source, essentials_json, alert_context_json,
  fired_at, resolved_at, created_at, updated_at, state_reason`;

function toIncident(row: IncidentRow): Incident {
  const incident: Incident = {
    id: row.id,
    alertId: row.alert_id,
    alertRule: row.alert_rule,
    severity: row.severity as Incident['severity'],
    signalType: row.signal_type,
    monitoringService: row.monitoring_service,
    monitorCondition: row.monitor_condition as Incident['monitorCondition'],
    targetResourceIds: JSON.parse(row.target_resource_ids_json) as string[],
    resourceGroupIds: JSON.parse(row.resource_group_ids_json) as string[],
    state: row.state as IncidentState,
    version: row.version,
    source: row.source,
    essentials: JSON.parse(row.essentials_json) as Record<string, unknown>,
    firedAt: row.fired_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
  if (row.description !== null) incident.description = row.description;
  if (row.agent_id !== null) incident.agentId = row.agent_id;
  if (row.alert_context_json !== null) incident.alertContext = JSON.parse(row.alert_context_json) as unknown;
  if (row.resolved_at !== null) incident.resolvedAt = row.resolved_at;
  if (row.state_reason !== null) incident.stateReason = row.state_reason;
  return incident;
}

export interface IncidentPageQuery {
  /** only this agent's incidents; undefined: all */
  agentId?: string | undefined;
  state?: IncidentState | undefined;
  limit: number;
  /** keyset: incidents created after (createdAt, id) */
  after?: { createdAt: string; id: string } | undefined;
  /** newest first (pages) or oldest first (the agent's pick-up order) */
  order: 'asc' | 'desc';
}

/** `foreign`: the alert is recorded from another source, which alone may update it; nothing was changed. */
export type DeliveryOutcome =
  | { kind: 'new'; incident: Incident }
  | { kind: 'repeat'; incident: Incident }
  | { kind: 'resolved'; incident: Incident }
  | { kind: 'foreign'; incident: Incident };

export function createIncidentStore(db: Database) {
  async function getIn(q: Pick<Queryable, 'get'>, id: string): Promise<Incident | undefined> {
    const row = await q.get<IncidentRow>(`SELECT ${COLUMNS} FROM incidents WHERE id = ?`, [id]);
    return row ? toIncident(row) : undefined;
  }

  return {
    get: (id: string) => getIn(db.fresh, id),

    async byAlertGuid(guid: string): Promise<Incident | undefined> {
      const row = await db.fresh.get<IncidentRow>(`SELECT ${COLUMNS} FROM incidents WHERE alert_guid = ?`, [guid.toLowerCase()]);
      return row ? toIncident(row) : undefined;
    },

    /**
     * Records one accepted delivery in a single transaction: a repeat of (alert, condition) only
     * bumps its count; the first Fired creates the incident; a first Resolved resolves it (or
     * creates it resolved when the Fired was never delivered).
     */
    async recordDelivery(input: { key: string; alert: Alert; newId: string; agentId: string | undefined; resourceGroupIds: string[]; source: string; at: string }): Promise<DeliveryOutcome> {
      return db.transaction(async (tx) => {
        const seen = await tx.get<{ incident_id: string }>('SELECT incident_id FROM incident_deliveries WHERE delivery_key = ?', [input.key]);
        if (seen) {
          await tx.run('UPDATE incident_deliveries SET repeats = repeats + 1, last_at = ? WHERE delivery_key = ?', [input.at, input.key]);
          return { kind: 'repeat', incident: (await getIn(tx, seen.incident_id))! };
        }
        const a = input.alert;
        const existing = await tx.get<IncidentRow>(`SELECT ${COLUMNS} FROM incidents WHERE alert_guid = ?`, [a.alertGuid]);
        let kind: DeliveryOutcome['kind'] = 'new';
        let id = input.newId;
        // Checked again here, in the transaction: another source may have opened it since the intake looked.
        if (existing && existing.source !== input.source) return { kind: 'foreign', incident: (await getIn(tx, existing.id))! };
        if (existing) {
          id = existing.id;
          kind = a.monitorCondition === 'Resolved' ? 'resolved' : 'repeat';
          if (a.monitorCondition === 'Resolved') {
            const toResolved = existing.state !== 'resolved';
            await tx.run(
              `UPDATE incidents SET monitor_condition = 'Resolved', resolved_at = COALESCE(resolved_at, ?), updated_at = ?, version = version + 1
                 ${toResolved ? ", state = 'resolved', state_reason = 'the alert condition resolved (monitorCondition Resolved)'" : ''} WHERE id = ?`,
              [a.resolvedAt ?? input.at, input.at, id],
            );
          }
        } else {
          const resolved = a.monitorCondition === 'Resolved';
          const params: SqlValue[] = [
            id,
            a.alertId,
            a.alertGuid,
            a.subscriptionId,
            a.alertRule,
            a.severity,
            a.signalType,
            a.monitoringService,
            a.monitorCondition,
            a.description ?? null,
            JSON.stringify(a.targetResourceIds),
            JSON.stringify(input.resourceGroupIds),
            input.agentId ?? null,
            resolved ? 'resolved' : 'open',
            input.source,
            JSON.stringify(a.essentials),
            a.alertContext === undefined ? null : JSON.stringify(a.alertContext),
            a.firedAt,
            resolved ? (a.resolvedAt ?? input.at) : null,
            input.at,
            input.at,
            resolved ? 'the first delivery was the resolution (monitorCondition Resolved)' : null,
          ];
          await tx.run(
            `INSERT INTO incidents (id, alert_id, alert_guid, subscription_id, alert_rule, severity, signal_type, monitoring_service, monitor_condition,
               description, target_resource_ids_json, resource_group_ids_json, agent_id, state, source, essentials_json, alert_context_json,
               fired_at, resolved_at, created_at, updated_at, state_reason) VALUES (${new Array(params.length).fill('?').join(', ')})`,
            params,
          );
          if (resolved) kind = 'resolved';
        }
        await tx.run('INSERT INTO incident_deliveries (delivery_key, incident_id, first_at, last_at) VALUES (?, ?, ?, ?)', [input.key, id, input.at, input.at]);
        return { kind, incident: (await getIn(tx, id))! };
      });
    },

    /** Compare-and-set on the version read: false when someone else changed it first. */
    async setState(id: string, fromVersion: number, to: IncidentState, at: string, reason: string): Promise<boolean> {
      const r = await db.run(
        `UPDATE incidents SET state = ?, state_reason = ?, updated_at = ?, version = version + 1 ${to === 'resolved' ? ', resolved_at = COALESCE(resolved_at, ?)' : ''}
          WHERE id = ? AND version = ?`,
        to === 'resolved' ? [to, reason, at, at, id, fromVersion] : [to, reason, at, id, fromVersion],
      );
      return r.changes === 1;
    },

    /** Reverts a state change whose audit entry could not be written (fail closed). */
    async revertState(id: string, version: number, previous: Incident): Promise<void> {
      await db.run('UPDATE incidents SET state = ?, state_reason = ?, resolved_at = ?, updated_at = ?, version = version + 1 WHERE id = ? AND version = ?', [
        previous.state,
        previous.stateReason ?? null,
        previous.resolvedAt ?? null,
        previous.updatedAt,
        id,
        version,
      ]);
    },

    async deliveryCount(incidentId: string): Promise<{ deliveries: number; repeats: number }> {
      const row = await db.fresh.get<{ n: number; r: number | null }>('SELECT COUNT(*) AS n, SUM(repeats) AS r FROM incident_deliveries WHERE incident_id = ?', [incidentId]);
      return { deliveries: row?.n ?? 0, repeats: row?.r ?? 0 };
    },

    async list(q: IncidentPageQuery): Promise<Incident[]> {
      const where: string[] = [];
      const params: SqlValue[] = [];
      if (q.agentId !== undefined) {
        where.push('agent_id = ?');
        params.push(q.agentId);
      }
      if (q.state !== undefined) {
        where.push('state = ?');
        params.push(q.state);
      }
      if (q.after) {
        where.push(q.order === 'asc' ? '(created_at > ? OR (created_at = ? AND id > ?))' : '(created_at < ? OR (created_at = ? AND id < ?))');
        params.push(q.after.createdAt, q.after.createdAt, q.after.id);
      }
      const dir = q.order === 'asc' ? 'ASC' : 'DESC';
      const rows = await db.fresh.all<IncidentRow>(
        `SELECT ${COLUMNS} FROM incidents ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at ${dir}, id ${dir} LIMIT ?`,
        [...params, q.limit],
      );
      return rows.map(toIncident);
    },
  };
}

export type IncidentStore = ReturnType<typeof createIncidentStore>;
