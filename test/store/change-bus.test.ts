import { describe, expect, it } from 'vitest';
import { ChangeBusError, createInProcessChangeBus } from '../../src/store/change-bus.ts';
import { fakeJwt } from '../support/fake-jwt.ts';

const recorder = () => {
  const seen: string[] = [];
  return { seen, subscriber: { changed: (id: string) => seen.push(id), resync: () => seen.push('<resync>') } };
};

describe('in-process change bus', () => {
  it("tells the channel's subscribers before publish returns, and only them", async () => {
    const bus = createInProcessChangeBus();
    const a = recorder();
    const b = recorder();
    bus.subscribe('elevate_requests', a.subscriber);
    bus.subscribe('elevate_incidents', b.subscriber);
    const sent = bus.publish('elevate_requests', '6f1c2a3e-0000-4000-8000-000000000001');
    expect(a.seen).toEqual(['6f1c2a3e-0000-4000-8000-000000000001']);
    await sent;
    expect(b.seen).toEqual([]);
  });

  it('keeps telling the others when one subscriber throws, and stops after unsubscribe', async () => {
    const bus = createInProcessChangeBus();
    const a = recorder();
    bus.subscribe('elevate_requests', { changed: () => { throw new Error('boom'); }, resync: () => undefined });
    const off = bus.subscribe('elevate_requests', a.subscriber);
    await bus.publish('elevate_requests', 'r1');
    off();
    await bus.publish('elevate_requests', 'r2');
    expect(a.seen).toEqual(['r1']);
  });

  it('carries plain ids only: text, long values and odd channels are refused without being echoed', async () => {
    const bus = createInProcessChangeBus();
    const secret = `${fakeJwt({ sub: 'x' }, 'signature')}-and-more-and-more-and-more-and-more-and-more-and-more-and-more-and-more-and-more-and-more`;
    for (const id of [secret, 'two words', '', 'a\nb', 'x'.repeat(129)]) {
      const err = await bus.publish('elevate_requests', id).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ChangeBusError);
      expect((err as Error).message).not.toContain(secret);
    }
    expect(() => bus.subscribe('Requests; DROP', recorder().subscriber)).toThrow(ChangeBusError);
    await expect(bus.publish('pg_catalog', 'r1')).rejects.toThrow(ChangeBusError);
  });
});
