/**
 * The external checkpoint stores the configuration names (ELEVATE_AUDIT_CHECKPOINT_DIR,
 * ELEVATE_AUDIT_CHECKPOINT_BLOB_URL), for the service, which writes them, and for
 * `elevate audit verify`, which reads them.
 */
import type { TokenCredential } from '@azure/core-auth';
import type { Config } from '../config/load-config.ts';
import { createBlobCheckpointStore } from './audit-checkpoint-blob-store.ts';
import { createDirectoryCheckpointStore } from './audit-checkpoint-dir-store.ts';
import type { ExternalCheckpointStore } from './audit-checkpoint-store.ts';

export function createExternalCheckpointStores(
  config: Pick<Config['audit'], 'checkpointDir' | 'checkpointBlobUrl'>,
  options: { create: boolean; credential?: TokenCredential },
): ExternalCheckpointStore[] {
  const stores: ExternalCheckpointStore[] = [];
  if (config.checkpointDir) stores.push(createDirectoryCheckpointStore(config.checkpointDir, { create: options.create }));
  if (config.checkpointBlobUrl) {
    if (!options.credential) throw new Error('ELEVATE_AUDIT_CHECKPOINT_BLOB_URL: no Azure credential to write checkpoints to the container with');
    stores.push(createBlobCheckpointStore({ containerUrl: config.checkpointBlobUrl, credential: options.credential }));
  }
  return stores;
}
