import type { TokenCredential } from '@azure/core-auth';
import type { AzureEndpoints } from './azure-endpoints.ts';
import { createGraphClient, type GraphClientOptions } from './graph-client.ts';

/**
 * Which of some groups a directory object (an agent's managed identity, or a person whose token
 * carried the group overage indicator: signin/group-memberships.ts) is a transitive member of,
 * through Microsoft Graph's checkMemberGroups. ARM cannot answer this: its deny-assignment
 * filters match the principal id literally, and `assignedTo()` only reveals groups that hold a
 * role assignment. Needs the GroupMember.Read.All application permission (or Directory.Read.All).
 * https://learn.microsoft.com/en-us/graph/api/directoryobject-checkmembergroups
 */
export type MemberGroupsCheck = (objectId: string, groupIds: readonly string[]) => Promise<string[]>;

/** Graph accepts at most 20 group ids per checkMemberGroups call. */
const PER_CALL = 20;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class GraphRequestError extends Error {
  override name = 'GraphRequestError';
}

export function createGraphMemberGroupsCheck(
  credential: TokenCredential,
  endpoints: Pick<AzureEndpoints, 'graphEndpoint' | 'graphScope'>,
  options: GraphClientOptions = {},
): MemberGroupsCheck {
  const graph = createGraphClient(credential, endpoints, options);

  async function checkChunk(objectId: string, groupIds: string[]): Promise<string[]> {
    const { status, body, errorCode } = await graph({ method: 'POST', path: `/v1.0/directoryObjects/${objectId}/checkMemberGroups`, body: { groupIds } });
    if (status !== 200) throw new GraphRequestError(`Microsoft Graph checkMemberGroups answered ${status}${errorCode ? ` ${errorCode}` : ''}`);
    const value = (body as { value?: unknown } | undefined)?.value;
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw new GraphRequestError('Microsoft Graph checkMemberGroups answered without a list of group ids');
    // only what was asked about counts
    const asked = new Set(groupIds.map((g) => g.toLowerCase()));
    return (value as string[]).map((v) => v.toLowerCase()).filter((v) => asked.has(v));
  }

  return async (objectId, groupIds) => {
    if (!GUID.test(objectId)) throw new GraphRequestError('object id must be a GUID');
    const ids = [...new Set(groupIds.map((g) => g.toLowerCase()))].filter((g) => GUID.test(g));
    const out: string[] = [];
    for (let i = 0; i < ids.length; i += PER_CALL) out.push(...(await checkChunk(objectId.toLowerCase(), ids.slice(i, i + PER_CALL))));
    return out;
  };
}
