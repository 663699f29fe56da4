import { describe, expect, it } from 'vitest';
import { checkNotificationEnvironment } from '../../src/notifications/notifications-module.ts';
import { PolicyError } from '../../src/policies/policy-error.ts';
import { parseWith, shippedPolicies } from './policy-fixtures.ts';

function faults(text: string): string[] {
  try {
    parseWith({ 'notifications.yaml': text });
  } catch (err) {
    if (err instanceof PolicyError) return [...err.lines];
    throw err;
  }
  return [];
}

describe('policies/notifications.yaml', () => {
  it('the shipped file loads, every channel disabled (nothing is required of a fresh install)', () => {
    const p = shippedPolicies().notifications!;
    expect(Object.values(p.channels).every((c) => !c.enabled)).toBe(true);
    expect(p.routes.map((r) => r.name)).toEqual(['approvers', 'outcomes']);
    expect(() => checkNotificationEnvironment(p, () => undefined)).not.toThrow();
  });

  it('is optional: without it nothing is sent', () => {
    expect(parseWith({ 'notifications.yaml': undefined }).notifications).toBeUndefined();
  });

  it('refuses a secret written in the file instead of an environment variable name', () => {
    const lines = faults(`
channels:
  t: { type: teams, urlEnv: "https://contoso.webhook.office.com/webhookb2/abc" }
routes: []
`);
    expect(lines.join('\n')).toMatch(/notifications\.yaml: channels\.t\.urlEnv: expected the name of an environment variable starting with ELEVATE_NOTIFY_/);
    expect(lines.join('\n')).not.toContain('webhookb2/abc');
  });

  it('refuses names outside ELEVATE_NOTIFY_ (a policy cannot send AZURE_CLIENT_SECRET as a webhook key)', () => {
    expect(faults(`
channels:
  h: { type: webhook, urlEnv: ELEVATE_NOTIFY_URL, secretEnv: AZURE_CLIENT_SECRET }
`).join('\n')).toMatch(/channels\.h\.secretEnv/);
  });

  it('refuses unknown channels, events, keys and a route naming a channel that is not defined', () => {
    const text = faults(`
channels:
  t: { type: fax, urlEnv: ELEVATE_NOTIFY_T }
routes:
  - name: r
    events: [request.raised, request.exploded]
    channels: [nowhere]
    colour: red
quiet:
  - { name: q, events: [request.raised], between: { from: "25:00", to: "07:00" } }
`).join('\n');
    expect(text).toMatch(/channels\.t/);
    expect(text).toMatch(/routes\[0\]\.events\[1\]: expected an event/);
    expect(text).toMatch(/unknown key 'colour'/);
    expect(text).toMatch(/quiet\[0\]\.between\.from: expected a time/);
    const undefinedChannel = faults(`
channels: { t: { type: teams, urlEnv: ELEVATE_NOTIFY_T } }
routes: [{ name: r, events: [request.raised], channels: [nowhere] }]
`).join('\n');
    expect(undefinedChannel).toMatch(/routes\[0\]\.channels\[0\]: unknown channel 'nowhere'/);
  });

  it('at start, an enabled routed channel needs its variables; the error names them, never a value', () => {
    const p = parseWith({
      'notifications.yaml': `
channels:
  hook: { type: webhook, urlEnv: ELEVATE_NOTIFY_HOOK_URL, secretEnv: ELEVATE_NOTIFY_HOOK_SECRET }
  unused: { type: slack, urlEnv: ELEVATE_NOTIFY_UNUSED }
  off: { type: slack, enabled: false, urlEnv: ELEVATE_NOTIFY_OFF }
routes: [{ name: r, events: [request.raised], channels: [hook, off] }]
`,
    }).notifications!;
    const env: Record<string, string> = { ELEVATE_NOTIFY_HOOK_URL: 'https://hooks.example/secret-path' };
    expect(() => checkNotificationEnvironment(p, (n) => env[n])).toThrow(/channel 'hook' needs ELEVATE_NOTIFY_HOOK_SECRET, which is not set/);
    try {
      checkNotificationEnvironment(p, (n) => env[n]);
    } catch (err) {
      expect(String(err)).not.toContain('secret-path');
      expect(String(err)).not.toContain('ELEVATE_NOTIFY_UNUSED');
      expect(String(err)).not.toContain('ELEVATE_NOTIFY_OFF');
    }
    env.ELEVATE_NOTIFY_HOOK_SECRET = 's';
    expect(() => checkNotificationEnvironment(p, (n) => env[n])).not.toThrow();
  });
});
