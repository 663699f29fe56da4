import { describe, expect, it } from 'vitest';
import { cachingAgentDirectory } from '../../src/operations/caching-agent-directory.ts';
import type { Agent, AgentDirectory } from '../../src/operations/operation-types.ts';
import { makeAgent } from './support/operation-fixtures.ts';

describe('cachingAgentDirectory', () => {
  it('reads the registry once per ttl, sees changes after it, and never remembers a miss', async () => {
    let t = 0;
    let current: Agent | undefined = makeAgent();
    let reads = 0;
    const inner: AgentDirectory = { findByIdentity: async () => (reads++, current), get: async () => current };
    const dir = cachingAgentDirectory(inner, { ttlMs: 2000, now: () => t });
    const oid = current.uamiPrincipalId;
    expect((await dir.findByIdentity(oid))?.level).toBe('Reader');
    expect((await dir.findByIdentity(oid.toUpperCase()))?.level).toBe('Reader');
    expect(reads).toBe(1);
    current = makeAgent({ level: 'Privileged' });
    t = 1999;
    expect((await dir.findByIdentity(oid))?.level).toBe('Reader');
    t = 2000;
    expect((await dir.findByIdentity(oid))?.level).toBe('Privileged');
    current = undefined;
    t = 5000;
    expect(await dir.findByIdentity(oid)).toBeUndefined();
    current = makeAgent();
    expect(await dir.findByIdentity(oid)).toBeDefined();
  });
});
