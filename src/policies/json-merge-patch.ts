/**
 * What an ARM PATCH leaves behind: the JSON merge patch (RFC 7396) of the request body onto the
 * resource as it is. ARM's resource providers apply PATCH this way: objects merge property by
 * property, `null` removes a property, anything else (arrays included) replaces.
 * https://www.rfc-editor.org/rfc/rfc7396#section-2
 * https://github.com/Azure/azure-resource-manager-rpc/blob/master/v1.0/resource-api-reference.md#patch-resource
 *
 * It works on folded documents (request-facts.ts: objects as Maps with case-folded names), not on
 * raw JSON: ARM matches names case-insensitively, so a patch's "Properties" merges into the
 * resource's "properties". A general-purpose merge-patch package would treat them as two
 * properties, which is why this small function is ours.
 */
const isMap = (v: unknown): v is Map<string, unknown> => v instanceof Map;

export function mergeFolded(target: unknown, patch: unknown): unknown {
  if (!isMap(patch)) return patch;
  const out = new Map<string, unknown>(isMap(target) ? target : []);
  for (const [name, value] of patch) {
    if (value === null) out.delete(name);
    else out.set(name, mergeFolded(out.get(name), value));
  }
  return out;
}
