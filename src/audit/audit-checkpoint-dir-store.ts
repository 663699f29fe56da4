/**
 * A directory of write-once checkpoint files (ELEVATE_AUDIT_CHECKPOINT_DIR), meant to live away
 * from the database: another disk, an NFS export the database host can only append to, a
 * directory with `chattr +a`. One file per checkpoint, `<seq, 12 digits>-<16 hex>.json`, created
 * with O_CREAT|O_EXCL (never overwritten), mode 0400, fsynced together with the directory entry.
 */
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync } from 'node:fs';
import { chmod, open, readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parseCheckpoint, type SignedCheckpoint } from './audit-checkpoint-sign.ts';
import type { ExternalCheckpointStore } from './audit-checkpoint-store.ts';

const FILE_NAME = /^\d{12}-[0-9a-f]{16}\.json$/;
/** A checkpoint is about 300 bytes; anything much larger was not written by Elevate. */
const MAX_FILE_BYTES = 4096;

export class CheckpointStoreError extends Error {
  override name = 'CheckpointStoreError';
}

function fileNameOf(cp: SignedCheckpoint, line: string): string {
  return `${String(cp.seq).padStart(12, '0')}-${createHash('sha256').update(line).digest('hex').slice(0, 16)}.json`;
}

/** The new directory entry is durable only once the directory itself is fsynced. */
function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * A file holding a prefix of this very line (the name hashes the whole line, so no other content is
 * meant): a write cut short when its process died between creating the file and its fsync. The
 * missing bytes are written at their own offsets, so nothing already there changes, even should
 * the original writer still be at work; then the file is 0400 again and fsynced.
 */
async function completeCutShort(path: string, from: number, bytes: Buffer): Promise<void> {
  await chmod(path, 0o600);
  const handle = await open(path, 'r+');
  try {
    await handle.write(bytes, from, bytes.length - from, from);
    await handle.sync();
  } finally {
    await handle.close();
    await chmod(path, 0o400);
  }
  syncDirectory(dirname(path));
}

/**
 * `create`: make the directory (0700) when missing — the service does; a verifier must not,
 * because a missing directory is itself a finding.
 */
export function createDirectoryCheckpointStore(dir: string, options: { create?: boolean } = {}): ExternalCheckpointStore {
  const root = resolve(dir);
  if (options.create) mkdirSync(root, { recursive: true, mode: 0o700 });
  const name = `checkpoint directory ${root}`;

  return {
    name,

    async save(cp) {
      const line = `${JSON.stringify(cp)}\n`;
      const path = join(root, fileNameOf(cp, line));
      let handle;
      try {
        handle = await open(path, 'wx', 0o400);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') {
          // Same name = same content hash: a retry of this very checkpoint. Anything else is refused.
          const existing = await readFile(path).catch(() => undefined);
          const bytes = Buffer.from(line, 'utf8');
          if (existing?.equals(bytes)) return;
          if (existing && existing.length < bytes.length && existing.equals(bytes.subarray(0, existing.length))) return completeCutShort(path, existing.length, bytes);
          throw new CheckpointStoreError(`${name}: ${path} exists with other content; refusing to overwrite it`);
        }
        throw new CheckpointStoreError(`${name}: cannot create ${path}: ${code ?? (err as Error).message}`);
      }
      try {
        await handle.writeFile(line, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      syncDirectory(root);
    },

    async readAll() {
      let names: string[];
      try {
        names = await readdir(root);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new CheckpointStoreError(code === 'ENOENT' ? `${root} does not exist` : `cannot read ${root}: ${code ?? (err as Error).message}`);
      }
      const checkpoints: SignedCheckpoint[] = [];
      const malformed: Array<{ where: string; message: string }> = [];
      for (const file of names.sort()) {
        if (!file.endsWith('.json')) continue;
        const where = `${name}: ${file}`;
        const path = join(root, file);
        if (!FILE_NAME.test(file)) {
          malformed.push({ where, message: 'not a checkpoint file name' });
          continue;
        }
        const info = await stat(path);
        if (!info.isFile() || info.size > MAX_FILE_BYTES) {
          malformed.push({ where, message: 'not a checkpoint file' });
          continue;
        }
        const text = await readFile(path, 'utf8');
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = undefined;
        }
        const cp = parseCheckpoint(parsed);
        // The name is derived from the content: a file renamed or edited in place shows here.
        if (!cp || fileNameOf(cp, text) !== file) malformed.push({ where, message: 'not a well-formed checkpoint' });
        else checkpoints.push(cp);
      }
      return { checkpoints, malformed };
    },

    async probe() {
      const info = await stat(root).catch((err: NodeJS.ErrnoException) => {
        throw new CheckpointStoreError(`${root}: ${err.code ?? err.message}`);
      });
      if (!info.isDirectory()) throw new CheckpointStoreError(`${root} is not a directory`);
    },
  };
}
