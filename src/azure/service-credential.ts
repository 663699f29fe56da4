import { readFile } from 'node:fs/promises';
import type { TokenCredential } from '@azure/core-auth';
import {
  ClientAssertionCredential,
  ClientSecretCredential,
  ManagedIdentityCredential,
  WorkloadIdentityCredential,
} from '@azure/identity';
import type { AzureEndpoints, ServiceCredentialSource } from './azure-endpoints.ts';

/** The audience Entra expects on a federated assertion (a managed identity's token for it). */
export const TOKEN_EXCHANGE_SCOPE = 'api://AzureADTokenExchange/.default';

/**
 * Elevate's own app-registration credential: its "governance credential" for ARM role-assignment
 * changes and the client credential of the OBO exchange.
 */
export function createServiceCredential(endpoints: AzureEndpoints, source: ServiceCredentialSource): TokenCredential {
  const options = { authorityHost: endpoints.authorityHost, disableInstanceDiscovery: endpoints.disableInstanceDiscovery };
  switch (source.kind) {
    case 'secret':
      return new ClientSecretCredential(endpoints.tenantId, endpoints.clientId, source.clientSecret, options);
    case 'workload-identity':
      return new WorkloadIdentityCredential({
        ...options,
        tenantId: endpoints.tenantId,
        clientId: endpoints.clientId,
        tokenFilePath: source.tokenFile,
      });
    case 'managed-identity':
      return new ClientAssertionCredential(endpoints.tenantId, endpoints.clientId, federatedAssertionFromManagedIdentity(source.managedIdentityClientId), options);
  }
}

/**
 * The client credential as MSAL's ConfidentialClientApplication wants it (the OBO exchange).
 * Assertions are fetched per exchange: projected token files rotate and MI tokens expire.
 */
export type MsalClientCredential = { clientSecret: string } | { clientAssertion: () => Promise<string> };

export function createMsalClientCredential(source: ServiceCredentialSource): MsalClientCredential {
  switch (source.kind) {
    case 'secret':
      return { clientSecret: source.clientSecret };
    case 'workload-identity': {
      const file = source.tokenFile;
      return { clientAssertion: async () => (await readFile(file, 'utf8')).trim() };
    }
    case 'managed-identity':
      return { clientAssertion: federatedAssertionFromManagedIdentity(source.managedIdentityClientId) };
  }
}

/** A user-assigned identity federated to the app registration supplies the app's client assertion. */
function federatedAssertionFromManagedIdentity(managedIdentityClientId: string): () => Promise<string> {
  const identity = new ManagedIdentityCredential({ clientId: managedIdentityClientId });
  return async () => (await identity.getToken(TOKEN_EXCHANGE_SCOPE)).token;
}

/**
 * The SRE agent's user-assigned managed identity. In sandbox mode IMDS is redirected through
 * AZURE_POD_IDENTITY_AUTHORITY_HOST (see applySdkEnvironment), which must be set before this runs.
 */
export function createAgentCredential(uamiClientId: string): TokenCredential {
  return new ManagedIdentityCredential({ clientId: uamiClientId });
}
