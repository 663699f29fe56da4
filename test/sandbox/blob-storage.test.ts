import { ClientSecretCredential } from '@azure/identity';
import { ContainerClient, RestError } from '@azure/storage-blob';
import { describe, expect, it } from 'vitest';
import { sandboxInfo } from '../support/sandbox-context.ts';
import { immutableContainer, sandboxServiceCredential } from '../support/sandbox-blob.ts';
import { decodeClaims } from '../support/token-forge.ts';

/** The sandbox's Blob service through @azure/storage-blob, as Elevate's checkpoint store uses it. */

async function refusal(p: Promise<unknown>): Promise<RestError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RestError);
  return err as RestError;
}

describe('sandbox Blob service', () => {
  it('issues storage tokens for https://storage.azure.com/.default', async () => {
    const token = await sandboxServiceCredential().getToken('https://storage.azure.com/.default');
    expect(decodeClaims(token!.token)).toMatchObject({ aud: 'https://storage.azure.com', idtyp: 'app', tid: sandboxInfo().tenant.tenantId });
  });

  it('writes, reads, lists with paging and reports properties of a container with version-level immutability', async () => {
    const container = new ContainerClient(await immutableContainer({ retentionDays: 7 }), sandboxServiceCredential());
    const props = await container.getProperties();
    expect(props.isImmutableStorageWithVersioningEnabled).toBe(true);
    expect(props.hasImmutabilityPolicy).toBe(true);

    for (const n of ['a/1', 'a/2', 'a/3', 'b/1', 'a/4 & <x>']) {
      const body = `content of ${n}`;
      const put = await container.getBlockBlobClient(n).upload(body, Buffer.byteLength(body), { conditions: { ifNoneMatch: '*' }, blobHTTPHeaders: { blobContentType: 'text/plain' } });
      expect(put.etag).toMatch(/^"0x8D[0-9A-F]{13}"$/);
      expect(put.versionId).toBeTruthy();
    }
    const blob = container.getBlobClient('a/2');
    expect((await blob.downloadToBuffer()).toString('utf8')).toBe('content of a/2');
    const bp = await blob.getProperties();
    expect(bp).toMatchObject({ contentType: 'text/plain', contentLength: 14, blobType: 'BlockBlob', immutabilityPolicyMode: 'unlocked' });
    const until = bp.immutabilityPolicyExpiresOn!.getTime();
    expect(until).toBeGreaterThan(Date.now() + 6 * 86_400_000);

    const pages: string[][] = [];
    for await (const page of container.listBlobsFlat({ prefix: 'a/' }).byPage({ maxPageSize: 2 })) pages.push(page.segment.blobItems.map((b) => b.name));
    expect(pages).toEqual([['a/1', 'a/2'], ['a/3', 'a/4 & <x>']]);
    const all: string[] = [];
    for await (const b of container.listBlobsFlat()) all.push(b.name);
    expect(all).toEqual(['a/1', 'a/2', 'a/3', 'a/4 & <x>', 'b/1']);
  });

  it('refuses to overwrite: If-None-Match: * gets 409 BlobAlreadyExists, a plain overwrite 409 BlobImmutableDueToPolicy', async () => {
    const container = new ContainerClient(await immutableContainer(), sandboxServiceCredential());
    const blob = container.getBlockBlobClient('cp/1.json');
    await blob.upload('original', 8, { conditions: { ifNoneMatch: '*' } });
    const again = await refusal(blob.upload('forged!!', 8, { conditions: { ifNoneMatch: '*' } }));
    expect(again).toMatchObject({ statusCode: 409, code: 'BlobAlreadyExists' });
    const overwrite = await refusal(blob.upload('forged!!', 8));
    expect(overwrite).toMatchObject({ statusCode: 409, code: 'BlobImmutableDueToPolicy' });
    expect((await blob.downloadToBuffer()).toString()).toBe('original');
  });

  it('refuses to delete a protected blob (409 BlobImmutableDueToPolicy), deletes an unprotected one, 404s a missing one', async () => {
    const worm = new ContainerClient(await immutableContainer(), sandboxServiceCredential());
    await worm.getBlockBlobClient('x').upload('x', 1);
    expect(await refusal(worm.getBlobClient('x').delete())).toMatchObject({ statusCode: 409, code: 'BlobImmutableDueToPolicy' });
    expect(await worm.getBlobClient('x').exists()).toBe(true);

    const plain = new ContainerClient(await immutableContainer({ versionLevelWorm: false }), sandboxServiceCredential());
    await plain.getBlockBlobClient('y').upload('y', 1);
    await plain.getBlobClient('y').delete();
    expect(await plain.getBlobClient('y').exists()).toBe(false);
    expect(await refusal(plain.getBlobClient('y').delete())).toMatchObject({ statusCode: 404, code: 'BlobNotFound' });
    expect(await refusal(new ContainerClient(`${sandboxInfo().blobEndpoint}/no-such-container`, sandboxServiceCredential()).getProperties())).toMatchObject({ statusCode: 404 });
  });

  it('refuses a token for another audience, a wrong signature and no token at all', async () => {
    const url = await immutableContainer();
    const s = sandboxInfo();
    const armToken = await sandboxServiceCredential().getToken('https://management.azure.com/.default');
    const armOnly = { getToken: async () => armToken };
    const wrongAudience = await refusal(new ContainerClient(url, armOnly).getBlockBlobClient('z').upload('z', 1));
    expect(wrongAudience).toMatchObject({ statusCode: 401, code: 'InvalidAuthenticationInfo' });

    const good = await sandboxServiceCredential().getToken('https://storage.azure.com/.default');
    const [h, p] = good!.token.split('.');
    const forged = { getToken: async () => ({ token: `${h}.${p}.${'A'.repeat(342)}`, expiresOnTimestamp: Date.now() + 3_600_000 }) };
    expect(await refusal(new ContainerClient(url, forged).getProperties())).toMatchObject({ statusCode: 401 });

    // Raw REST: no Authorization header gets the challenge the SDK follows.
    const res = await fetch(`${url}?restype=container`, { headers: { 'x-ms-version': '2025-11-05' } });
    expect(res.status).toBe(401);
    expect(res.headers.get('x-ms-error-code')).toBe('NoAuthenticationInformation');
    expect(res.headers.get('www-authenticate')).toBe(`Bearer authorization_uri=${s.origin}/${s.tenant.tenantId}/oauth2/authorize resource_id=https://storage.azure.com`);
    expect(await res.text()).toMatch(/<Code>NoAuthenticationInformation<\/Code>/);
  });

  it('authorizes with Azure RBAC: an app without a storage data role on the account gets 403 AuthorizationPermissionMismatch', async () => {
    const url = await immutableContainer();
    const s = sandboxInfo();
    const dashboard = s.tenant.otherApps.find((a) => a.key === 'dashboard')!;
    const cred = new ClientSecretCredential(s.tenant.tenantId, dashboard.clientId, dashboard.clientSecret!, { authorityHost: s.authorityHost, disableInstanceDiscovery: true });
    const container = new ContainerClient(url, cred);
    // one call at a time: a promise made before its turn would reject unobserved
    const calls = [() => container.getProperties(), () => container.getBlockBlobClient('w').upload('w', 1), () => container.listBlobsFlat().next(), () => container.getBlobClient('w').download()];
    for (const call of calls) {
      expect(await refusal(call())).toMatchObject({ statusCode: 403, code: 'AuthorizationPermissionMismatch' });
    }
    // Elevate's identity holds Storage Blob Data Contributor on the account (seed), so the same calls pass.
    const elevate = new ContainerClient(url, sandboxServiceCredential());
    await elevate.getBlockBlobClient('w').upload('w', 1);
    expect((await elevate.getBlobClient('w').downloadToBuffer()).toString()).toBe('w');
  });
});
