/**
 * Query parameters an operation may carry besides api-version. ARM takes almost everything in the
 * path and body; the few operations that take a query parameter are allow-listed here by shape,
 * with the values ARM accepts, so the agent can never steer a call with free-form query text.
 * - Alerts Management `changestate`: `newState` (New, Acknowledged, Closed) is required.
 *   https://learn.microsoft.com/rest/api/monitor/alertsmanagement/alerts/change-state
 */

export const ALERT_NEW_STATES = ['New', 'Acknowledged', 'Closed'] as const;

const ALERT_CHANGE_STATE = /\/providers\/Microsoft\.AlertsManagement\/alerts\/[^/]+\/changestate$/i;

/** Why `query` does not fit the operation (field path and message), or undefined. */
export function armQueryProblem(method: string, path: string, query: Record<string, string> | undefined): { path: string; message: string } | undefined {
  const changeState = method === 'POST' && ALERT_CHANGE_STATE.test(path);
  if (!changeState) {
    return query === undefined ? undefined : { path: 'query', message: 'is accepted only for Microsoft.AlertsManagement/alerts/{id}/changestate (newState)' };
  }
  if (query === undefined || query.newState === undefined) return { path: 'query.newState', message: `is required for changestate: one of ${ALERT_NEW_STATES.join(', ')}` };
  for (const name of Object.keys(query)) {
    if (name !== 'newState') return { path: 'query', message: 'changestate takes only newState' };
  }
  if (!(ALERT_NEW_STATES as readonly string[]).includes(query.newState)) return { path: 'query.newState', message: `expected one of ${ALERT_NEW_STATES.join(', ')}` };
  return undefined;
}
