/**
 * The text of src/client/generated/openapi-types.ts: openapi-typescript over the agent API's
 * OpenAPI document, as built by the service (src/web/api/openapi.ts). Shared by the generator
 * script and the drift test, so both produce byte-for-byte the same file.
 */
import openapiTS, { astToString } from 'openapi-typescript';
import { buildOpenApiDocument } from '../../web/api/openapi.ts';

export const CLIENT_TYPES_PATH = 'src/client/generated/openapi-types.ts';

const HEADER = [
  '/**',
  ' * GENERATED from the agent API\'s OpenAPI document (src/web/api/openapi.ts) by openapi-typescript.',
  ' * Do not edit. Regenerate with: npm run generate:client-types',
  ' */',
  '',
].join('\n');

export async function generateClientTypes(): Promise<string> {
  const document = buildOpenApiDocument();
  // A deep copy: openapi-typescript annotates the object it walks.
  const ast = await openapiTS(JSON.parse(JSON.stringify(document)) as Parameters<typeof openapiTS>[0], { exportType: false });
  return HEADER + astToString(ast);
}
