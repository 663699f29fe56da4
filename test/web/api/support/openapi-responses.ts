/**
 * Checks real API responses against the served OpenAPI document: the schema for (method, path
 * template, status) is looked up in the document and the body validated with Ajv (JSON Schema
 * 2020-12, OpenAPI 3.1's dialect).
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { expect } from 'vitest';

type Doc = { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }> }> }>>; components: unknown };

const BASE = 'https://elevate.test/openapi.json';

export function openApiResponseChecker(doc: Doc) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addSchema({ $id: BASE, components: doc.components });
  const cache = new Map<string, ValidateFunction>();
  let checked = 0;

  return {
    /** Fails the test when `body` does not match the documented response. */
    check(method: string, template: string, status: number, body: unknown): void {
      const op = doc.paths[template]?.[method.toLowerCase()];
      expect(op, `${method} ${template} is documented`).toBeDefined();
      const response = op!.responses[String(status)];
      expect(response, `${method} ${template} documents status ${status}`).toBeDefined();
      const ref = response!.content?.['application/json']?.schema.$ref;
      expect(ref, `${method} ${template} ${status} has a JSON schema`).toBeDefined();
      let validate = cache.get(ref!);
      if (!validate) {
        validate = ajv.getSchema(`${BASE}${ref}`)!;
        cache.set(ref!, validate);
      }
      const ok = validate(body);
      expect(ok, `${method} ${template} ${status}: ${JSON.stringify(validate.errors?.slice(0, 3))}`).toBe(true);
      checked += 1;
    },
    count: () => checked,
  };
}
