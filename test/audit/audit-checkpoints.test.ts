import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { CheckpointKeyError, loadCheckpointKey, publicKeyPem } from '../../src/audit/audit-checkpoint-key.ts';
import { sign } from 'node:crypto';
import canonicalize from 'canonicalize';
import { checkpointSignature, checkpointSignatureValid, signCheckpoint, type SignedCheckpoint } from '../../src/audit/audit-checkpoint-sign.ts';
import { verifyWithCheckpoints } from '../../src/audit/audit-checkpoint-verify.ts';
import { createCheckpointer } from '../../src/audit/audit-checkpointer.ts';
import { setAnchor } from '../../src/audit/audit-anchor.ts';
import { anchorSealText, signAnchor } from '../../src/audit/audit-anchor-seal.ts';
import { appendMany, dropGuards, rewriteChain, rig, rows, useTempDir, type Rig } from './audit-tamper-fixtures.ts';

const tempDir = useTempDir();

async function checkpointed(n = 35, every = 10): Promise<Rig> {
  const r = await rig(tempDir(), every);
  for (let i = 0; i < n; i++) {
    await r.audit.append({ actor: { kind: 'agent', id: 'a1' }, eventType: 'operation.requested', requestId: `req-${i}`, details: { i } });
    await r.checkpointer.maybeCheckpoint();
  }
  return r;
}

const verify = (r: Rig) => verifyWithCheckpoints({ db: r.db, key: r.key, store: r.store, every: 10 });

describe('checkpoint key', () => {
  it('is created with mode 0600 when missing, and reused after', () => {
    const path = join(tempDir(), 'nested', 'key.pem');
    const key = loadCheckpointKey(path, { create: true });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(key.privateKey).toBeDefined();
    expect(loadCheckpointKey(path).keyId).toBe(key.keyId);
  });

  it('is not created unless asked, and refused when others can read it or it is not an Ed25519 key', () => {
    const dir = tempDir();
    expect(() => loadCheckpointKey(join(dir, 'missing.pem'))).toThrow(CheckpointKeyError);
    const path = join(dir, 'key.pem');
    loadCheckpointKey(path, { create: true });
    chmodSync(path, 0o644);
    expect(() => loadCheckpointKey(path)).toThrow(/readable by others.*chmod 600/);
    writeFileSync(join(dir, 'junk.pem'), 'not a key');
    expect(() => loadCheckpointKey(join(dir, 'junk.pem'))).toThrow(/not a PEM key/);
  });

  it('verifies with the public half alone but cannot sign with it', async () => {
    const r = await checkpointed(12);
    const pubPath = join(r.dir, 'public.pem');
    writeFileSync(pubPath, publicKeyPem(r.key));
    const pub = loadCheckpointKey(pubPath);
    expect(pub.privateKey).toBeUndefined();
    expect(pub.keyId).toBe(r.key.keyId);
    expect((await verifyWithCheckpoints({ db: r.db, key: pub, store: r.store })).ok).toBe(true);
    const signer = createCheckpointer({ db: r.db, key: pub, store: r.store, every: 10 });
    await expect(signer.checkpointNow()).rejects.toThrow(/only a public key/);
    await r.db.close();
  });

  it('signs only what it was given: any changed field fails the signature', () => {
    const key = loadCheckpointKey(join(tempDir(), 'k.pem'), { create: true });
    const cp = signCheckpoint(key.privateKey!, key.keyId, { seq: 7, hash: 'a'.repeat(64) }, new Date('2026-03-01T00:00:00Z'), 'on-demand');
    expect(checkpointSignatureValid(key.publicKey, cp)).toBe(true);
    expect(checkpointSignatureValid(key.publicKey, { ...cp, seq: 8 })).toBe(false);
    expect(checkpointSignatureValid(key.publicKey, { ...cp, hash: 'b'.repeat(64) })).toBe(false);
    expect(checkpointSignatureValid(key.publicKey, { ...cp, ts: '2026-03-02T00:00:00.000Z' })).toBe(false);
    expect(checkpointSignatureValid(key.publicKey, { ...cp, signature: 'AAAA' })).toBe(false);
  });

  it('signs the reason too: a periodic checkpoint relabelled as an archive seal no longer verifies', () => {
    const key = loadCheckpointKey(join(tempDir(), 'k.pem'), { create: true });
    const cp = signCheckpoint(key.privateKey!, key.keyId, { seq: 7, hash: 'a'.repeat(64) }, new Date('2026-03-01T00:00:00Z'), 'periodic');
    expect(checkpointSignature(key.publicKey, cp)).toBe('signed');
    expect(checkpointSignature(key.publicKey, { ...cp, reason: 'archive' })).toBe('invalid');
  });

  it('still verifies a checkpoint an older build signed without its reason, and says the reason is unproven', () => {
    const key = loadCheckpointKey(join(tempDir(), 'k.pem'), { create: true });
    const legacy = legacyCheckpoint(key.privateKey!, key.keyId, 7, 'a'.repeat(64), 'archive');
    expect(checkpointSignature(key.publicKey, legacy)).toBe('reason-unsigned');
    expect(checkpointSignatureValid(key.publicKey, legacy)).toBe(true);
    expect(checkpointSignature(key.publicKey, { ...legacy, seq: 8 })).toBe('invalid');
  });
});

/** A checkpoint as builds before the reason was signed wrote it (elevate-audit-checkpoint/v1). */
function legacyCheckpoint(privateKey: Parameters<typeof sign>[2], keyId: string, seq: number, hash: string, reason: SignedCheckpoint['reason']): SignedCheckpoint {
  const body = { seq, hash, ts: '2026-03-01T00:00:00.000Z', keyId };
  const signature = sign(null, Buffer.from(`elevate-audit-checkpoint/v1\n${canonicalize(body)!}`, 'utf8'), privateKey).toString('base64');
  return { ...body, signature, reason };
}

describe('checkpointer', () => {
  it('checkpoints every N entries, in the table and in the file outside the database', async () => {
    const r = await checkpointed(35);
    const fromFile = readFileSync(r.store.logPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { seq: number; reason: string });
    expect(fromFile.map((c) => c.seq)).toEqual([10, 20, 30]);
    expect(fromFile.every((c) => c.reason === 'periodic')).toBe(true);
    const table = await r.db.all<{ seq: number }>('SELECT seq FROM audit_checkpoints ORDER BY seq');
    expect(table.map((t) => t.seq)).toEqual([10, 20, 30]);
    await r.db.close();
  });

  it('checkpoints in the background when appends through the observed log cross the mark', async () => {
    const r = await rig(tempDir(), 10);
    const audit = r.checkpointer.observe(r.audit);
    for (let i = 0; i < 9; i++) await audit.append({ actor: { kind: 'agent', id: 'a1' }, eventType: 'operation.requested', details: { i } });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await r.store.readAll()).checkpoints).toEqual([]);
    for (let i = 9; i < 25; i++) await audit.append({ actor: { kind: 'agent', id: 'a1' }, eventType: 'operation.requested', details: { i } });
    await vi.waitFor(async () => {
      const seqs = (await r.store.readAll()).checkpoints.map((c) => c.seq);
      expect(seqs.length).toBeGreaterThanOrEqual(2);
      expect(seqs[0]).toBeGreaterThanOrEqual(10);
    });
    expect((await verify(r)).ok).toBe(true);
    await r.db.close();
  });

  it('checkpoints on demand, once per head, and not an empty log', async () => {
    const r = await rig(tempDir());
    await expect(r.checkpointer.checkpointNow()).rejects.toThrow(/no entries/);
    await appendMany(r.audit, 3);
    const a = await r.checkpointer.checkpointNow();
    const b = await r.checkpointer.checkpointNow();
    expect(a).toEqual(b);
    expect(a).toMatchObject({ seq: 3, reason: 'on-demand' });
    expect((await r.store.readAll()).checkpoints).toHaveLength(1);
    expect(await r.checkpointer.maybeCheckpoint()).toBeUndefined();
    await r.db.close();
  });
});

describe('verify with checkpoints', () => {
  it('passes an intact log', async () => {
    const r = await checkpointed();
    const result = await verify(r);
    expect(result).toMatchObject({ ok: true, chain: { ok: true, entriesChecked: 35 }, checkpoints: { verified: 3, latestSeq: 30 } });
    expect(result.problems).toEqual([]);
    await r.db.close();
  });

  it('names a changed row', async () => {
    const r = await checkpointed();
    await dropGuards(r.db);
    await r.db.run(`UPDATE audit_log SET details = '{"i":999}' WHERE seq = 5`);
    expect((await verify(r)).firstProblem).toMatchObject({ seq: 5, kind: 'changed' });
    await r.db.close();
  });

  it('names a deleted row', async () => {
    const r = await checkpointed();
    await dropGuards(r.db);
    await r.db.run('DELETE FROM audit_log WHERE seq = 7');
    expect((await verify(r)).firstProblem).toMatchObject({ seq: 7, kind: 'deleted' });
    await r.db.close();
  });

  it('names an inserted row', async () => {
    const r = await checkpointed();
    const all = await rows(r.db);
    await dropGuards(r.db);
    // Slot a forged entry in after seq 5 (correctly linked and hashed) and renumber the rest.
    const forged = { ...all[5]!, seq: 6, details: '{"forged":true}', prev_hash: all[4]!.hash };
    const { computeEntryHash } = await import('../../src/audit/audit-hash.ts');
    forged.hash = computeEntryHash(forged.prev_hash, forged);
    await r.db.transaction(async (tx) => {
      await tx.run('UPDATE audit_log SET seq = seq + 1000 WHERE seq >= 6');
      await tx.run('UPDATE audit_log SET seq = seq - 999 WHERE seq >= 1006');
      await tx.run(`INSERT INTO audit_log (seq, ts, actor_kind, actor_id, actor_name, event_type, subject, agent_id, request_id, action, scope, outcome, acting_identity, approver_id, details, prev_hash, hash)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, [
        forged.seq, forged.ts, forged.actor_kind, forged.actor_id, forged.actor_name, forged.event_type, forged.subject, forged.agent_id, forged.request_id,
        forged.action, forged.scope, forged.outcome, forged.acting_identity, forged.approver_id, forged.details, forged.prev_hash, forged.hash,
      ]);
    });
    expect((await verify(r)).firstProblem).toMatchObject({ seq: 6, kind: 'inserted' });
    await r.db.close();
  });

  it('names reordered rows', async () => {
    const r = await checkpointed();
    await dropGuards(r.db);
    await r.db.transaction(async (tx) => {
      await tx.run('UPDATE audit_log SET seq = 1000 WHERE seq = 8');
      await tx.run('UPDATE audit_log SET seq = 8 WHERE seq = 9');
      await tx.run('UPDATE audit_log SET seq = 9 WHERE seq = 1000');
    });
    expect((await verify(r)).firstProblem).toMatchObject({ seq: 8, kind: 'reordered' });
    await r.db.close();
  });

  it('detects a truncated tail, even with the checkpoints removed from the database', async () => {
    const r = await checkpointed();
    await dropGuards(r.db);
    await r.db.run('DELETE FROM audit_log WHERE seq > 25');
    await r.db.run('DELETE FROM audit_checkpoints WHERE seq > 25');
    const result = await verify(r);
    // The chain alone is consistent: only the signed checkpoint shows what is missing.
    expect(result.chain.ok).toBe(true);
    expect(result.ok).toBe(false);
    expect(result.firstProblem).toMatchObject({ seq: 26, kind: 'truncated' });
    expect(result.firstProblem!.message).toMatch(/entries 26\.\.30 were removed/);
    await r.db.close();
  });

  it('detects a chain rewritten with fresh, consistent hashes', async () => {
    const r = await checkpointed();
    const all = await rows(r.db);
    all[2] = { ...all[2]!, details: '{"i":"rewritten"}' };
    await rewriteChain(r.db, all);
    const result = await verify(r);
    expect(result.chain.ok).toBe(true);
    expect(result.firstProblem).toMatchObject({ seq: 10, kind: 'rewritten' });
    expect(result.problems.map((p) => p.seq)).toEqual([10, 20, 30]);
    await r.db.close();
  });

  it('reports a planted checkpoint that does not verify, and ignores other keys with a warning', async () => {
    const r = await checkpointed();
    await r.db.run(`INSERT INTO audit_checkpoints (seq, hash, ts, key_id, signature, reason) VALUES (33, ?, '2026-03-01T00:00:00.000Z', ?, 'AAAA', 'periodic')`, [
      (await rows(r.db))[32]!.hash,
      r.key.keyId,
    ]);
    const other = loadCheckpointKey(join(r.dir, 'other.pem'), { create: true });
    const foreign = signCheckpoint(other.privateKey!, other.keyId, { seq: 34, hash: (await rows(r.db))[33]!.hash }, new Date(), 'periodic');
    await r.store.save(foreign);
    const result = await verify(r);
    expect(result.firstProblem).toMatchObject({ seq: 33, kind: 'bad-signature' });
    expect(result.checkpoints.otherKeys).toBe(1);
    expect(result.warnings.join(' ')).toMatch(/another key/);
    await r.db.close();
  });

  it('reports damaged lines in the checkpoint file', async () => {
    const r = await checkpointed(12);
    writeFileSync(r.store.logPath, `${readFileSync(r.store.logPath, 'utf8')}{"seq":"x"}\nnot json\n`);
    const result = await verify(r);
    expect(result.ok).toBe(false);
    expect(result.problems.filter((p) => p.kind === 'malformed-checkpoint')).toHaveLength(2);
    await r.db.close();
  });

  it('detects a prefix removed behind an anchor no checkpoint seals', async () => {
    const r = await checkpointed(25);
    const all = await rows(r.db);
    await r.db.transaction((tx) => setAnchor(tx, { throughSeq: 5 }, new Date()));
    await r.db.run('DELETE FROM audit_log WHERE seq <= 5');
    const result = await verify(r);
    expect(result.chain.ok).toBe(true);
    expect(result.firstProblem).toMatchObject({ seq: 5, kind: 'unsealed-anchor' });
    expect(all).toHaveLength(25);
    await r.db.close();
  });

  it('detects a prefix deleted up to a periodic checkpoint and the anchor moved onto it by hand', async () => {
    // The attacker holds the database, not the key: every checkpoint they can point the anchor at
    // was signed by the service, but only retention signs one as an archive seal.
    const r = await checkpointed(35);
    const all = await rows(r.db);
    await dropGuards(r.db);
    await r.db.transaction((tx) => setAnchor(tx, { throughSeq: 20, lastHash: all[19]!.hash }, new Date()));
    await r.db.run('DELETE FROM audit_log WHERE seq <= 20');
    const result = await verify(r);
    expect(result.chain.ok).toBe(true);
    expect(result.ok).toBe(false);
    expect(result.firstProblem).toMatchObject({ seq: 20, kind: 'unsealed-anchor' });
    expect(result.firstProblem?.message).toMatch(/the anchor is not signed/);
    await r.db.close();
  });

  it('accepts an anchor sealed by an archive checkpoint an older build signed, with a warning', async () => {
    const r = await checkpointed(35);
    const all = await rows(r.db);
    await r.store.save(legacyCheckpoint(r.key.privateKey!, r.key.keyId, 5, all[4]!.hash, 'archive'));
    await r.db.transaction((tx) => setAnchor(tx, { throughSeq: 5, lastHash: all[4]!.hash }, new Date()));
    await r.db.run('DELETE FROM audit_log WHERE seq <= 5');
    const result = await verify(r);
    expect(result.problems).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.warnings.join(' ')).toMatch(/set by a build that did not sign anchors/);
    await r.db.close();
  });

  it('refuses an anchor moved after retention sealed it, one sealed by another key, and a damaged seal', async () => {
    const r = await checkpointed(35);
    const all = await rows(r.db);
    const sealed = { throughSeq: 10, lastHash: all[9]!.hash, archiveRef: 'audit-archive-1-10.jsonl' };
    const seal = anchorSealText(signAnchor(r.key.privateKey!, r.key.keyId, sealed));
    await r.db.transaction((tx) => setAnchor(tx, sealed, new Date(), seal));
    await r.db.run('DELETE FROM audit_log WHERE seq <= 10');
    expect((await verify(r)).problems).toEqual([]);

    // The attacker moves the sealed anchor on to the next checkpoint, keeping the seal.
    await r.db.transaction((tx) => setAnchor(tx, { ...sealed, throughSeq: 20, lastHash: all[19]!.hash }, new Date(), seal));
    await r.db.run('DELETE FROM audit_log WHERE seq <= 20');
    await dropGuards(r.db);
    const moved = await verify(r);
    expect(moved.firstProblem).toMatchObject({ seq: 20, kind: 'unsealed-anchor' });
    expect(moved.firstProblem?.message).toMatch(/seal does not verify/);

    const other = loadCheckpointKey(join(r.dir, 'other.pem'), { create: true });
    const foreign = anchorSealText(signAnchor(other.privateKey!, other.keyId, { ...sealed, throughSeq: 20, lastHash: all[19]!.hash }));
    await r.db.run('UPDATE audit_anchor SET seal = ? WHERE id = 1', [foreign]);
    expect((await verify(r)).firstProblem?.message).toMatch(new RegExp(`sealed by key ${other.keyId}, not ${r.key.keyId}`));

    await r.db.run('UPDATE audit_anchor SET seal = ? WHERE id = 1', ['{"keyId":"x"}']);
    expect((await verify(r)).firstProblem?.message).toMatch(/not one \(damaged or planted\)/);
    await r.db.close();
  });

  it('warns when the log runs ahead of its latest checkpoint', async () => {
    const r = await rig(tempDir(), 10);
    await appendMany(r.audit, 25);
    const result = await verify(r);
    expect(result.ok).toBe(true);
    expect(result.warnings.join(' ')).toMatch(/25 entries after seq 0 are not yet covered/);
    await r.db.close();
  });
});
