/**
 * Regenerates the typed client's API types from the OpenAPI document the service serves:
 *
 *   npm run generate:client-types   (node --import tsx src/client/scripts/generate-client-types.ts)
 *
 * The output (src/client/generated/openapi-types.ts) is committed; test/client/openapi-types-drift.test.ts
 * regenerates it in memory and fails when it differs, so the client and the document cannot drift.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { generateClientTypes } from './client-types-source.ts';

const target = fileURLToPath(new URL('../generated/openapi-types.ts', import.meta.url));
writeFileSync(target, await generateClientTypes());
process.stdout.write(`wrote ${target}\n`);
