import { createHash, randomUUID } from 'node:crypto';

/**
 * In-memory Blob Storage for the sandbox: accounts, containers and block blobs, with version-level
 * immutability (WORM) the way Azure applies it. A container created with version-level immutability
 * support and a default time-based retention policy gives every new blob version that policy: until
 * it expires, the version can be neither deleted nor overwritten.
 * https://learn.microsoft.com/azure/storage/blobs/immutable-version-level-worm-policies
 * https://learn.microsoft.com/azure/storage/blobs/immutable-time-based-retention-policy-overview
 */

export interface StoredBlob {
  name: string;
  content: Buffer;
  contentType: string;
  contentMd5: string;
  etag: string;
  createdOn: Date;
  lastModified: Date;
  versionId: string;
  /** Set from the container's default policy when the version was written. */
  immutabilityUntil: Date | undefined;
  immutabilityMode: 'unlocked' | 'locked' | undefined;
}

export interface RetentionPolicy {
  days: number;
  /** A locked policy can only be extended; an unlocked one is for testing the settings. */
  state: 'Unlocked' | 'Locked';
}

export interface StoredContainer {
  name: string;
  etag: string;
  lastModified: Date;
  versionLevelWorm: boolean;
  policy: RetentionPolicy | undefined;
  blobs: Map<string, StoredBlob>;
}

export type BlobWriteRefusal = 'BlobAlreadyExists' | 'BlobImmutableDueToPolicy' | 'ConditionNotMet';

/** Container names: 3-63 lower-case letters, digits and single hyphens, starting with a letter or digit. */
export const CONTAINER_NAME = /^(?=.{3,63}$)[a-z0-9](?:[a-z0-9]|-(?!-))*[a-z0-9]$/;
/** Blob names: 1-1024 characters (the sandbox also refuses control characters). */
export const isBlobName = (name: string) => name.length >= 1 && name.length <= 1024 && !/[\u0000-\u001f\u007f]/.test(name);

// An ETag shaped like the service's (0x8D + 13 hex digits), unique per write.
let etagCounter = 0;
const newEtag = () => `"0x8D${(Date.now() * 16 + (etagCounter++ % 16)).toString(16).toUpperCase().padStart(13, '0').slice(-13)}"`;

export class BlobAccounts {
  private readonly accounts = new Map<string, Map<string, StoredContainer>>();
  private readonly resourceIds = new Map<string, string>();

  /** `accounts`: name → the storage account's ARM resource id (the scope of its role assignments). */
  constructor(
    accounts: Record<string, string>,
    private readonly now: () => Date = () => new Date(),
  ) {
    for (const [name, resourceId] of Object.entries(accounts)) {
      this.accounts.set(name, new Map());
      this.resourceIds.set(name, resourceId);
    }
  }

  /** The ARM scope of a container, where data-plane RBAC is evaluated. */
  containerScope(account: string, container: string): string {
    return `${this.resourceIds.get(account)!}/blobServices/default/containers/${container}`;
  }

  hasAccount(account: string): boolean {
    return this.accounts.has(account);
  }

  accountNames(): string[] {
    return [...this.accounts.keys()];
  }

  /** What `az storage container-rm create --enable-vlw` and an immutability policy set up, out of band. */
  createContainer(account: string, name: string, options: { versionLevelWorm: boolean; policy?: RetentionPolicy }): StoredContainer {
    const containers = this.accounts.get(account);
    if (!containers) throw new Error(`no storage account ${account}`);
    if (!CONTAINER_NAME.test(name)) throw new Error(`invalid container name ${JSON.stringify(name)}`);
    const existing = containers.get(name);
    if (existing) return existing;
    const container: StoredContainer = { name, etag: newEtag(), lastModified: this.now(), versionLevelWorm: options.versionLevelWorm, policy: options.policy, blobs: new Map() };
    containers.set(name, container);
    return container;
  }

  container(account: string, name: string): StoredContainer | undefined {
    return this.accounts.get(account)?.get(name);
  }

  isProtected(blob: StoredBlob): boolean {
    return blob.immutabilityUntil !== undefined && blob.immutabilityUntil.getTime() > this.now().getTime();
  }

  /**
   * Put Blob. `ifNoneMatch: '*'` refuses any existing blob (409 BlobAlreadyExists); a protected
   * current version refuses to be replaced (409 BlobImmutableDueToPolicy).
   */
  put(
    container: StoredContainer,
    name: string,
    content: Buffer,
    options: { contentType: string | undefined; ifNoneMatch?: string | undefined; ifMatch?: string | undefined },
  ): StoredBlob | BlobWriteRefusal {
    const existing = container.blobs.get(name);
    if (options.ifNoneMatch !== undefined && existing && (options.ifNoneMatch.trim() === '*' || options.ifNoneMatch.split(',').map((s) => s.trim()).includes(existing.etag))) {
      return options.ifNoneMatch.trim() === '*' ? 'BlobAlreadyExists' : 'ConditionNotMet';
    }
    if (options.ifMatch !== undefined && (!existing || (options.ifMatch.trim() !== '*' && !options.ifMatch.split(',').map((s) => s.trim()).includes(existing.etag)))) return 'ConditionNotMet';
    if (existing && this.isProtected(existing)) return 'BlobImmutableDueToPolicy';
    const at = this.now();
    const policy = container.versionLevelWorm ? container.policy : undefined;
    const blob: StoredBlob = {
      name,
      content,
      contentType: options.contentType ?? 'application/octet-stream',
      contentMd5: createHash('md5').update(content).digest('base64'),
      etag: newEtag(),
      createdOn: existing?.createdOn ?? at,
      lastModified: at,
      versionId: `${at.toISOString().replace(/Z$/, '')}${randomUUID().replace(/\D/g, '').slice(0, 4)}Z`,
      immutabilityUntil: policy ? new Date(at.getTime() + policy.days * 86_400_000) : undefined,
      immutabilityMode: policy ? (policy.state === 'Locked' ? 'locked' : 'unlocked') : undefined,
    };
    container.blobs.set(name, blob);
    return blob;
  }

  /** Delete Blob: refused while the current version is protected. */
  delete(container: StoredContainer, name: string): 'deleted' | 'BlobNotFound' | 'BlobImmutableDueToPolicy' {
    const blob = container.blobs.get(name);
    if (!blob) return 'BlobNotFound';
    if (this.isProtected(blob)) return 'BlobImmutableDueToPolicy';
    container.blobs.delete(name);
    return 'deleted';
  }

  /** Names in order, after `marker`, starting with `prefix`, at most `max`; and where the next page starts. */
  list(container: StoredContainer, options: { prefix: string; marker: string | undefined; max: number }): { blobs: StoredBlob[]; nextMarker: string | undefined } {
    const names = [...container.blobs.keys()].filter((n) => n.startsWith(options.prefix) && (options.marker === undefined || n > options.marker)).sort();
    const page = names.slice(0, options.max);
    return { blobs: page.map((n) => container.blobs.get(n)!), nextMarker: names.length > options.max ? page[page.length - 1] : undefined };
  }
}
