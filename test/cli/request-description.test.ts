import { describe, expect, it } from 'vitest';
import { describeRequest } from '../../src/cli/requests/request-description.ts';

describe('what the CLI prints about a request before an approval', () => {
  it('includes the query and the body the approval is bound to, agent text made terminal-safe', () => {
    const lines = describeRequest({
      id: 'r-1',
      state: 'pending_consent',
      operation: { method: 'PATCH', path: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.App/containerApps/ca', apiVersion: '2024-03-01', query: { newState: 'Closed' }, body: { properties: { note: 'scale \u001b[2Jdown' } } },
      action: 'Microsoft.App/containerApps/write',
      agent: { name: 'sre-agent' },
      requestedBy: 'ann@contoso.example',
      justification: 'scale down',
    });
    expect(lines).toContain('query      newState=Closed');
    // JSON escapes the control character, so the terminal sees text, never the escape itself.
    expect(lines).toContain('body       {"properties":{"note":"scale \\u001b[2Jdown"}}');
    expect(lines.join('\n')).not.toContain('\u001b');
  });

  it('prints no query or body lines when the operation has none', () => {
    const lines = describeRequest({ id: 'r-2', state: 'pending_elevation', operation: { method: 'POST', path: '/x', apiVersion: '1', query: null, body: null } });
    expect(lines.some((l) => l.startsWith('query') || l.startsWith('body'))).toBe(false);
  });
});
