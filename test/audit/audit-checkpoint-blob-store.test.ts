import { existsSync, writeFileSync } from 'node:fs';
import { ContainerClient, RestError } from '@azure/storage-blob';
import { describe, expect, it } from 'vitest';
import { checkpointBlobName, createBlobCheckpointStore, parseCheckpointBlobName } from '../../src/audit/audit-checkpoint-blob-store.ts';
import { signCheckpoint } from '../../src/audit/audit-checkpoint-sign.ts';
import { createCheckpointStore } from '../../src/audit/audit-checkpoint-store.ts';
import { verifyWithCheckpoints } from '../../src/audit/audit-checkpoint-verify.ts';
import { createCheckpointer } from '../../src/audit/audit-checkpointer.ts';
import { immutableContainer, sandboxServiceCredential } from '../support/sandbox-blob.ts';
import { appendMany, dropGuards, rewriteChain, rig, rows, useTempDir } from './audit-tamper-fixtures.ts';

/** Checkpoints in an immutable Blob container, through @azure/storage-blob against the sandbox's Blob service. */

const tempDir = useTempDir();

async function blobRig(every = 10) {
  const r = await rig(tempDir(), every);
  const containerUrl = await immutableContainer({ retentionDays: 7 });
  const blobStore = createBlobCheckpointStore({ containerUrl, credential: sandboxServiceCredential() });
  const store = createCheckpointStore(r.db, r.archiveDir, [blobStore]);
  const checkpointer = createCheckpointer({ db: r.db, key: r.key, store, every, clock: r.time.clock });
  const verify = () => verifyWithCheckpoints({ db: r.db, key: r.key, store, every, intervalSeconds: 60, clock: () => new Date(r.time.now()) });
  const container = new ContainerClient(containerUrl, sandboxServiceCredential());
  return { ...r, store, blobStore, checkpointer, verify, container, containerUrl };
}

async function checkpointed(r: Awaited<ReturnType<typeof blobRig>>, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await appendMany(r.audit, 1, i);
    await r.checkpointer.maybeCheckpoint();
  }
  r.time.advance(60_000);
  await r.checkpointer.tick();
}

/** The attacker holds the database and the archive directory, not the container. */
async function wipeLocalCheckpoints(r: Awaited<ReturnType<typeof blobRig>>): Promise<void> {
  await r.db.run('DELETE FROM audit_checkpoints');
  writeFileSync(r.store.logPath, '');
}

describe('Blob checkpoint store', () => {
  it('names each blob after the whole checkpoint and reads them back by listing', async () => {
    const r = await blobRig();
    await checkpointed(r, 23);
    const names: string[] = [];
    for await (const b of r.container.listBlobsFlat()) names.push(b.name);
    expect(names).toHaveLength(3);
    expect(names.map((n) => parseCheckpointBlobName(n)?.seq)).toEqual([10, 20, 23]);
    const cp = parseCheckpointBlobName(names[2]!)!;
    expect(checkpointBlobName(cp)).toBe(names[2]);
    // The content is the same checkpoint, for people reading the container.
    expect(JSON.parse((await r.container.getBlobClient(names[2]!).downloadToBuffer()).toString('utf8'))).toEqual(cp);
    const props = await r.container.getBlobClient(names[2]!).getProperties();
    expect(props.contentType).toBe('application/json');
    expect(props.immutabilityPolicyExpiresOn!.getTime()).toBeGreaterThan(Date.now());

    const read = await r.blobStore.readAll();
    expect(read.checkpoints.map((c) => c.seq)).toEqual([10, 20, 23]);
    expect(read.malformed).toEqual([]);
    await r.blobStore.probe();
    expect((await r.verify()).ok).toBe(true);
    await r.db.close();
  });

  it('saves the same checkpoint twice without error, and nothing can overwrite or delete one', async () => {
    const r = await blobRig();
    await appendMany(r.audit, 2);
    const cp = signCheckpoint(r.key.privateKey!, r.key.keyId, (await rows(r.db))[1]!, new Date(r.time.now()), 'on-demand');
    await r.blobStore.save(cp);
    await r.blobStore.save(cp); // a retried upload: 409 BlobAlreadyExists is this very checkpoint
    const blob = r.container.getBlockBlobClient(checkpointBlobName(cp));
    const overwrite = await blob.upload('{}', 2).catch((e: unknown) => e);
    expect(overwrite).toBeInstanceOf(RestError);
    expect(overwrite).toMatchObject({ statusCode: 409, code: 'BlobImmutableDueToPolicy' });
    const removed = await blob.delete().catch((e: unknown) => e);
    expect(removed).toMatchObject({ statusCode: 409, code: 'BlobImmutableDueToPolicy' });
    expect((await r.blobStore.readAll()).checkpoints).toEqual([cp]);
    await r.db.close();
  });

  it('catches a tail cut off after the last checkpoint in the database, from the checkpoint the container keeps', async () => {
    const r = await blobRig();
    await checkpointed(r, 35); // 10, 20, 30 by count; 35 by the schedule
    await dropGuards(r.db);
    await r.db.run('DELETE FROM audit_log WHERE seq > 30');
    await wipeLocalCheckpoints(r);
    const result = await r.verify();
    expect(result.chain.ok).toBe(true);
    expect(result.firstProblem).toMatchObject({ seq: 31, kind: 'truncated' });
    expect(result.firstProblem!.message).toMatch(/entries 31\.\.35 were removed/);
    await r.db.close();
  });

  it('catches a chain rewritten with fresh hashes', async () => {
    const r = await blobRig();
    await checkpointed(r, 25);
    const all = await rows(r.db);
    all[12] = { ...all[12]!, details: '{"i":"rewritten"}' };
    await rewriteChain(r.db, all);
    await wipeLocalCheckpoints(r);
    const result = await r.verify();
    expect(result.chain.ok).toBe(true);
    expect(result.problems.map((p) => [p.seq, p.kind])).toEqual([
      [20, 'rewritten'],
      [25, 'rewritten'],
    ]);
    await r.db.close();
  });

  it('with a token for another audience, cannot save, and verification fails as unreadable', async () => {
    const r = await blobRig();
    await appendMany(r.audit, 1);
    const armToken = await sandboxServiceCredential().getToken('https://management.azure.com/.default');
    const wrong = createBlobCheckpointStore({ containerUrl: r.containerUrl, credential: { getToken: async () => armToken } });
    const cp = signCheckpoint(r.key.privateKey!, r.key.keyId, (await rows(r.db))[0]!, new Date(r.time.now()), 'on-demand');
    await expect(wrong.save(cp)).rejects.toThrow(/HTTP 401 InvalidAuthenticationInfo/);
    await expect(wrong.probe()).rejects.toThrow(/HTTP 401/);
    const result = await verifyWithCheckpoints({ db: r.db, key: r.key, store: createCheckpointStore(r.db, r.archiveDir, [wrong]) });
    expect(result.ok).toBe(false);
    expect(result.firstProblem).toMatchObject({ kind: 'store-unreadable' });
    // The checkpointer refuses to count a checkpoint the container did not take: its claim stays,
    // unconfirmed (to be copied again, the same checkpoint), and counts for nothing.
    const checkpointer = createCheckpointer({ db: r.db, key: r.key, store: createCheckpointStore(r.db, r.archiveDir, [wrong]), every: 10 });
    await expect(checkpointer.checkpointNow()).rejects.toThrow(/cannot write/);
    expect(await r.db.all('SELECT seq, copied_at FROM audit_checkpoints')).toEqual([{ seq: 1, copied_at: null }]);
    expect(existsSync(r.store.logPath)).toBe(false);
    expect((await verifyWithCheckpoints({ db: r.db, key: r.key, store: r.store })).checkpoints).toMatchObject({ found: 0, verified: 0, unconfirmed: 1 });
    await r.db.close();
  });

  it('reports blobs that are not checkpoints', async () => {
    const r = await blobRig();
    await r.container.getBlockBlobClient('checkpoints/000000000001-notbase64!.json').upload('x', 1);
    const result = await r.blobStore.readAll();
    expect(result.checkpoints).toEqual([]);
    expect(result.malformed).toHaveLength(1);
    await r.db.close();
  });
});
