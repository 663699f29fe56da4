/**
 * The SRE agent, as a separate process, against a served Elevate and its own sandbox: tokens come
 * from ManagedIdentityCredential (@azure/identity) through that sandbox's IMDS. A test worker
 * cannot do this itself, because its managed-identity endpoint is fixed to the shared sandbox for
 * the life of the process. Prints one JSON line; never prints a token.
 *
 *   ELEVATE_URL, AGENT_CLIENT_ID, API_AUDIENCE, AZURE_POD_IDENTITY_AUTHORITY_HOST, NODE_EXTRA_CA_CERTS
 *   node --import tsx sandbox-agent.ts submit '<operation json>'
 *   node --import tsx sandbox-agent.ts wait <request id> <seconds>
 *   node --import tsx sandbox-agent.ts activity            (the sandbox's ARM activity log)
 */
import { ManagedIdentityCredential } from '@azure/identity';

const [command, ...args] = process.argv.slice(2);
const env = (name: string) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};

async function token(): Promise<string> {
  const credential = new ManagedIdentityCredential({ clientId: env('AGENT_CLIENT_ID') });
  const t = await credential.getToken(`${env('API_AUDIENCE')}/.default`);
  if (!t) throw new Error('no token from the managed identity');
  return t.token;
}

async function main(): Promise<unknown> {
  const base = env('ELEVATE_URL');
  switch (command) {
    case 'submit': {
      const res = await fetch(`${base}/api/v1/operations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${await token()}`, 'content-type': 'application/json' },
        body: args[0],
      });
      return { status: res.status, body: await res.json() };
    }
    case 'wait': {
      const res = await fetch(`${base}/api/v1/operations/${encodeURIComponent(args[0]!)}?wait=${args[1] ?? '0'}`, { headers: { authorization: `Bearer ${await token()}` } });
      return { status: res.status, body: await res.json() };
    }
    case 'activity': {
      const res = await fetch(`${env('AZURE_POD_IDENTITY_AUTHORITY_HOST')}/_sandbox/activity`);
      return { status: res.status, body: await res.json() };
    }
    default:
      throw new Error(`unknown command ${command}`);
  }
}

main().then(
  (out) => process.stdout.write(`${JSON.stringify(out)}\n`),
  (err: unknown) => {
    process.stderr.write(`sandbox-agent: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
