/**
 * The typed client cannot drift from the API: its types are generated from the OpenAPI document
 * the service builds, and this test regenerates them and compares byte for byte. On failure run
 * `npm run generate:client-types` and commit the result.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLIENT_TYPES_PATH, generateClientTypes } from '../../src/client/scripts/client-types-source.ts';
import { FINAL_STATES as CLIENT_FINAL, WAITING_STATES as CLIENT_WAITING } from '../../src/client/request-states.ts';
import { FINAL_STATES, WAITING_STATES } from '../../src/operations/request-state-machine.ts';
import { REQUEST_STATES } from '../../src/operations/operation-types.ts';
import type { RequestState } from '../../src/client/api-types.ts';

describe('client types and the OpenAPI document', () => {
  it('the committed generated types are exactly what the current document generates', async () => {
    const committed = readFileSync(CLIENT_TYPES_PATH, 'utf8');
    const regenerated = await generateClientTypes();
    expect(committed, 'src/client/generated/openapi-types.ts is stale: run `npm run generate:client-types`').toBe(regenerated);
  });

  it('a change to the document changes the generated types (the comparison can fail)', async () => {
    const committed = readFileSync(CLIENT_TYPES_PATH, 'utf8');
    // every schema name and state the client relies on is in the generated text
    for (const name of ['OperationSubmission', 'Decision', 'OperationRequest', 'OperationRequestPage', 'Error']) expect(committed).toContain(`${name}: {`);
    for (const state of REQUEST_STATES) expect(committed).toContain(`"${state}"`);
  });

  it("the client's final and waiting states are the service's", () => {
    expect([...CLIENT_FINAL].sort()).toEqual([...FINAL_STATES].sort());
    expect([...CLIENT_WAITING].sort()).toEqual([...WAITING_STATES].sort());
    // and the generated state type is the service's list (a compile-time check both ways)
    const fromService: RequestState = REQUEST_STATES[0];
    const toService: (typeof REQUEST_STATES)[number] = 'succeeded' satisfies RequestState;
    expect([fromService, toService]).toHaveLength(2);
  });
});
