/**
 * The layout is the architecture, kept by a test: no import circles in src/, and capabilities do
 * not know the web layer or the composition root (web/ and service/ compose them, not the other
 * way round). The graph is madge's, read from the TypeScript sources.
 */
import { fileURLToPath } from 'node:url';
import madge from 'madge';
import { beforeAll, describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));
const TSCONFIG = fileURLToPath(new URL('../../tsconfig.json', import.meta.url));
let graph: Awaited<ReturnType<typeof madge>>;

beforeAll(async () => {
  graph = await madge(SRC, { fileExtensions: ['ts'], tsConfig: TSCONFIG });
}, 120_000);

describe('the import graph of src/', () => {
  it('reads every module', () => {
    expect(Object.keys(graph.obj()).length).toBeGreaterThan(400);
    expect(graph.warnings().skipped).toEqual([]);
  });

  it('has no import circles', () => {
    expect(graph.circular()).toEqual([]);
  });

  it('keeps capabilities ignorant of web/ and service/', () => {
    const offenders = Object.entries(graph.obj()).flatMap(([file, deps]) =>
      // web/, service/ and the CLI compose; the sandbox serves; a build script (client/scripts/
      // generates the client's types from the served OpenAPI document) reads what it builds from.
      /^(web|service|sandbox|cli)\//.test(file) || /\/scripts\//.test(file) ? [] : deps.filter((d) => /^(web|service)\//.test(d)).map((d) => `${file} -> ${d}`),
    );
    expect(offenders).toEqual([]);
  });
});
