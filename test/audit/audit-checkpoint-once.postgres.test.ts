/**
 * Adapter-specific (issue 16, PostgreSQL): two instances on one database, asked to checkpoint at
 * once, many times, sign each head once. Each instance has its own pool, archive directory and
 * checkpointer; they share the key and an external checkpoint directory, as two replicas do.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDirectoryCheckpointStore } from '../../src/audit/audit-checkpoint-dir-store.ts';
import { loadCheckpointKey } from '../../src/audit/audit-checkpoint-key.ts';
import type { SignedCheckpoint } from '../../src/audit/audit-checkpoint-sign.ts';
import { createCheckpointStore } from '../../src/audit/audit-checkpoint-store.ts';
import { verifyWithCheckpoints } from '../../src/audit/audit-checkpoint-verify.ts';
import { createCheckpointer, type Checkpointer } from '../../src/audit/audit-checkpointer.ts';
import { createAuditLog, type AuditLog } from '../../src/audit/audit-log.ts';
import type { Database } from '../../src/store/database.ts';
import { openPostgresStore } from '../../src/store/open-store.ts';
import { parsePostgresUrl } from '../../src/store/postgres-url.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres-context.ts';
import { sampleInput } from './audit-fixtures.ts';

interface Instance {
  db: Database;
  audit: AuditLog;
  checkpointer: Checkpointer;
  archiveDir: string;
}

let database: TestDatabase;
const instances: Instance[] = [];
const dir = mkdtempSync(join(tmpdir(), 'elevate-cp-once-'));
const key = loadCheckpointKey(join(dir, 'checkpoint.pem'), { create: true });
const externalDir = join(dir, 'external');

beforeAll(async () => {
  database = await createTestDatabase('elevate_cp_once');
  for (const name of ['a', 'b']) {
    const db = await openPostgresStore(parsePostgresUrl(database.url));
    const archiveDir = join(dir, `archive-${name}`);
    const store = createCheckpointStore(db, archiveDir, [createDirectoryCheckpointStore(externalDir, { create: true })]);
    // `every` 1: each instance's appends also trigger checkpoints in the background.
    const checkpointer = createCheckpointer({ db, key, store, every: 1 });
    instances.push({ db, audit: checkpointer.observe(createAuditLog(db)), checkpointer, archiveDir });
  }
}, 60_000);

afterAll(async () => {
  await Promise.all(instances.map((i) => i.db.close()));
  await database?.drop();
});

const jsonl = (i: Instance): SignedCheckpoint[] => {
  try {
    return readFileSync(join(i.archiveDir, 'checkpoints.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as SignedCheckpoint);
  } catch {
    return [];
  }
};

describe('checkpoints on demand from two instances on one PostgreSQL database', () => {
  it('one signed checkpoint per head, in every store, and the chain with its checkpoints verifies', async () => {
    const [a, b] = instances as [Instance, Instance];
    for (let round = 0; round < 25; round++) {
      await (round % 2 ? a : b).audit.append(sampleInput(round));
      const taken = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b).checkpointer.checkpointNow()));
      // Everyone got the same checkpoint of the head.
      expect(new Set(taken.map((cp) => cp.signature)).size).toBe(1);
      expect(taken[0]!.seq).toBe(round + 1);
    }
    // The append-triggered ones run in the background: let them settle.
    await Promise.all(instances.map((i) => i.checkpointer.maybeCheckpoint()));

    const rows = await a.db.all<{ seq: number }>('SELECT seq FROM audit_checkpoints ORDER BY seq');
    const external = (await createDirectoryCheckpointStore(externalDir).readAll()).checkpoints;
    const files = [...jsonl(a), ...jsonl(b)];
    for (const found of [rows.map((r) => r.seq), external.map((cp) => cp.seq), files.map((cp) => cp.seq)]) {
      expect(found.sort((x, y) => x - y)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    }
    const all = await a.checkpointer.store.readAll();
    expect(new Set(all.checkpoints.map((cp) => cp.seq)).size).toBe(all.checkpoints.length);

    for (const i of instances) {
      const result = await verifyWithCheckpoints({ db: i.db, key, store: createCheckpointStore(i.db, i.archiveDir, [createDirectoryCheckpointStore(externalDir)]) });
      expect(result.problems).toEqual([]);
      expect(result.ok).toBe(true);
    }
  });
});
