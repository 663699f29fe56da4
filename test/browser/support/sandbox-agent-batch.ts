/**
 * The SRE agent as a separate process (like test/approvals/support/sandbox-agent.ts), submitting
 * several operations with one managed-identity token: a test that needs many audit entries pays
 * for one process start, not one per request. Prints one JSON line (statuses and bodies); never
 * prints a token.
 *
 *   ELEVATE_URL, AGENT_CLIENT_ID, API_AUDIENCE, AZURE_POD_IDENTITY_AUTHORITY_HOST, NODE_EXTRA_CA_CERTS
 *   node --import tsx sandbox-agent-batch.ts '<json array of operation submissions>'
 */
import { ManagedIdentityCredential } from '@azure/identity';

const env = (name: string) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};

async function main(): Promise<unknown> {
  const submissions = JSON.parse(process.argv[2] ?? '[]') as unknown[];
  const credential = new ManagedIdentityCredential({ clientId: env('AGENT_CLIENT_ID') });
  const t = await credential.getToken(`${env('API_AUDIENCE')}/.default`);
  if (!t) throw new Error('no token from the managed identity');
  const out: Array<{ status: number; body: unknown }> = [];
  for (const submission of submissions) {
    const res = await fetch(`${env('ELEVATE_URL')}/api/v1/operations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(submission),
    });
    out.push({ status: res.status, body: await res.json() });
  }
  return out;
}

main().then(
  (out) => process.stdout.write(`${JSON.stringify(out)}\n`),
  (err: unknown) => {
    process.stderr.write(`sandbox-agent-batch: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
