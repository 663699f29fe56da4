/**
 * Short forms of long identifiers for dense tables. The full value always goes beside them in a
 * title (hover) and on the detail page; these only decide what fits in a table cell.
 */

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** "0b1c2d3e…" for a GUID (or a long id); short values unchanged. */
export function shortId(id: string, keep = 8): string {
  if (GUID.test(id) || id.length > keep + 4) return `${id.slice(0, keep)}…`;
  return id;
}

/**
 * An ARM resource id or scope as a reader scans it: the resource group (or subscription), then
 * the last type/name pair, with "…" where nested parents were left out, and a trailing action
 * segment kept. Values that are not ARM paths come back unchanged.
 *
 *   /subscriptions/…/resourceGroups/rg-sre-apps/providers/Microsoft.App/containerApps/ca/revisions/ca--v1/restart
 *   → rg-sre-apps/…/revisions/ca--v1/restart
 */
export function shortArmPath(path: string): string {
  const parts = path.split('/').filter((p) => p !== '');
  if (parts.length < 2 || parts[0]!.toLowerCase() !== 'subscriptions') return path;
  const subscription = parts[1]!;
  if (parts.length === 2) return `subscription ${shortId(subscription)}`;
  let rest = parts.slice(2);
  let head = `subscription ${shortId(subscription)}`;
  if (rest[0]?.toLowerCase() === 'resourcegroups' && rest[1] !== undefined) {
    head = rest[1];
    rest = rest.slice(2);
  }
  if (rest.length === 0) return head;
  if (rest[0]!.toLowerCase() === 'providers') rest = rest.slice(2); // the namespace, e.g. Microsoft.App
  // Type/name pairs, then at most one trailing segment (an action such as "restart").
  const pairs: string[][] = [];
  for (let i = 0; i + 1 < rest.length; i += 2) pairs.push([rest[i]!, rest[i + 1]!]);
  const tail = rest.length % 2 === 1 ? rest[rest.length - 1]! : undefined;
  if (pairs.length === 0) return tail ? `${head}/${tail}` : head;
  const last = pairs[pairs.length - 1]!.join('/');
  const gap = pairs.length > 1 ? '/…' : '';
  return `${head}${gap}/${last}${tail ? `/${tail}` : ''}`;
}

