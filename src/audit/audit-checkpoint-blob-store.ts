/**
 * Checkpoints in an Azure Blob container (ELEVATE_AUDIT_CHECKPOINT_BLOB_URL, the container URL),
 * one block blob per checkpoint, created with `If-None-Match: *` so an existing blob is never
 * overwritten (409 BlobAlreadyExists). The container is meant to have version-level immutability
 * (WORM) with a time-based retention policy, so not even Elevate's own identity can delete or
 * replace a checkpoint before the retention ends:
 * https://learn.microsoft.com/azure/storage/blobs/immutable-version-level-worm-policies
 *
 * The blob name carries the whole checkpoint (`checkpoints/<seq, 12 digits>-<base64url JSON>.json`),
 * so verification reads a year of minute-by-minute checkpoints with about a hundred List Blobs
 * calls instead of half a million downloads; the blob's content is the same JSON, for people.
 * Names cannot be changed in place (there is no rename), and the signature covers what matters.
 */
import type { TokenCredential } from '@azure/core-auth';
import { ContainerClient, RestError } from '@azure/storage-blob';
import { parseCheckpoint, type SignedCheckpoint } from './audit-checkpoint-sign.ts';
import type { ExternalCheckpointStore } from './audit-checkpoint-store.ts';
import { CheckpointStoreError } from './audit-checkpoint-dir-store.ts';

export const CHECKPOINT_BLOB_PREFIX = 'checkpoints/';
const BLOB_NAME = /^checkpoints\/(\d{12})-([A-Za-z0-9_-]{1,900})\.json$/;

export function checkpointBlobName(cp: SignedCheckpoint): string {
  return `${CHECKPOINT_BLOB_PREFIX}${String(cp.seq).padStart(12, '0')}-${Buffer.from(JSON.stringify(cp), 'utf8').toString('base64url')}.json`;
}

/** The checkpoint a blob name carries, or undefined when the name is not one Elevate writes. */
export function parseCheckpointBlobName(name: string): SignedCheckpoint | undefined {
  const m = BLOB_NAME.exec(name);
  if (!m) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(m[2]!, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  const cp = parseCheckpoint(parsed);
  return cp && cp.seq === Number(m[1]) ? cp : undefined;
}

export interface BlobCheckpointStoreOptions {
  /** Container URL: https://<account>.blob.core.windows.net/<container> (path-style for emulators). */
  containerUrl: string;
  /** Elevate's service credential; it needs Storage Blob Data Contributor on the container. */
  credential: TokenCredential;
}

const describeError = (err: unknown): string =>
  err instanceof RestError ? `HTTP ${err.statusCode ?? '?'} ${err.code ?? err.message.split('\n')[0]}` : (err as Error).message.split('\n')[0]!;

export function createBlobCheckpointStore(options: BlobCheckpointStoreOptions): ExternalCheckpointStore {
  // Few, quick retries: a checkpoint that cannot be written is retried on the next tick anyway.
  const container = new ContainerClient(options.containerUrl, options.credential, { retryOptions: { maxTries: 3, retryDelayInMs: 200, maxRetryDelayInMs: 2000, tryTimeoutInMs: 15_000 } });
  const name = `checkpoint blob container ${container.url}`;

  return {
    name,

    async save(cp) {
      const blobName = checkpointBlobName(cp);
      const body = `${JSON.stringify(cp)}\n`;
      const blob = container.getBlockBlobClient(blobName);
      try {
        await blob.upload(body, Buffer.byteLength(body), {
          conditions: { ifNoneMatch: '*' },
          blobHTTPHeaders: { blobContentType: 'application/json' },
        });
      } catch (err) {
        // A retry of an upload whose response was lost: the blob exists and, its name carrying the
        // checkpoint, is this very checkpoint. Nothing is ever written over it.
        if (err instanceof RestError && err.statusCode === 409 && err.code === 'BlobAlreadyExists') return;
        throw new CheckpointStoreError(`${name}: cannot write ${blobName.slice(0, 40)}…: ${describeError(err)}`);
      }
    },

    async readAll() {
      const checkpoints: SignedCheckpoint[] = [];
      const malformed: Array<{ where: string; message: string }> = [];
      try {
        for await (const page of container.listBlobsFlat({ prefix: CHECKPOINT_BLOB_PREFIX }).byPage({ maxPageSize: 5000 })) {
          for (const item of page.segment.blobItems) {
            const cp = parseCheckpointBlobName(item.name);
            if (cp) checkpoints.push(cp);
            else malformed.push({ where: `${name}: ${item.name.slice(0, 80)}`, message: 'not a checkpoint blob name' });
          }
        }
      } catch (err) {
        throw new CheckpointStoreError(`${name}: cannot list checkpoints: ${describeError(err)}`);
      }
      return { checkpoints, malformed };
    },

    async probe() {
      try {
        await container.getProperties();
      } catch (err) {
        throw new CheckpointStoreError(`${name}: ${describeError(err)}`);
      }
    },
  };
}
