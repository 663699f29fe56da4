import * as client from 'openid-client';
import type { MsalClientCredential } from '../azure/service-credential.ts';

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/**
 * How the code exchange authenticates Elevate's app registration: the client secret, or a client
 * assertion fetched per request (a projected workload-identity token, or a managed identity's
 * token for api://AzureADTokenExchange), the same credential the OBO exchange uses.
 */
export function clientAuthFor(credential: MsalClientCredential): client.ClientAuth {
  if ('clientSecret' in credential) return client.ClientSecretPost(credential.clientSecret);
  const getAssertion = credential.clientAssertion;
  // oauth4webapi awaits the client authentication hook; openid-client's type says void.
  const auth = async (_as: unknown, metadata: client.ClientMetadata, body: URLSearchParams) => {
    body.set('client_id', metadata.client_id);
    body.set('client_assertion_type', JWT_BEARER);
    body.set('client_assertion', await getAssertion());
  };
  return auth as unknown as client.ClientAuth;
}
