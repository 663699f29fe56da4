/**
 * The README's typed-client example ("Connect an AI agent"), copied from the README and run as the
 * agent's own Node process against the agent API over the sandbox (token from its managed
 * identity). Its restart waits for approval; the test withdraws it, and the example's wait ends
 * with the request's final state.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxInfo } from '../support/sandbox-context.ts';
import { createApiHarness, type ApiHarness } from '../web/api/support/api-harness.ts';
import { listen } from './support/listening-harness.ts';
import { readmeBlock, writeExample } from './support/readme-blocks.ts';

let h: ApiHarness;
let served: Awaited<ReturnType<typeof listen>>;

beforeAll(async () => {
  h = await createApiHarness();
  served = await listen(h.app);
});

afterAll(async () => {
  await served?.close();
  await h?.close();
});

describe("the README's client example", () => {
  it('submits a restart, prints the approval page, and reports the final state once the wait ends', async () => {
    const tenant = sandboxInfo().tenant;
    const revision = tenant.resourceGroups.find((g) => g.name === 'rg-sre-apps')!.resources.find((r) => r.name === 'ca-checkout')!.children.find((c) => c.type.toLowerCase().endsWith('revisions'))!;
    const file = writeExample('agent-run.mjs', readmeBlock('Connect an AI agent', 'js'));
    const child = spawn(process.execPath, ['--import', 'tsx', file, `${revision.id}/restart`], {
      env: { ...process.env, ELEVATE_URL: served.url, ELEVATE_API_SCOPE: tenant.elevateApp.agentScope, AZURE_CLIENT_ID: tenant.agent.uamiClientId },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const pageUrl = await new Promise<string>((resolve, reject) => {
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        const m = /waiting for approval: (\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      void exited.then((code) => reject(new Error(`example exited ${code}: ${out}${err}`)));
    });
    const id = pageUrl.split('/').pop()!;
    expect(pageUrl).toBe(`${served.url}/approvals/${id}`);
    const cancelled = await h.api.module.service.cancel(h.readerAgent, id);
    expect(cancelled.ok).toBe(true);
    expect(await exited, err).toBe(0);
    expect(out.trim().split('\n').pop()).toBe('cancelled');
  });
});
