import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';

/**
 * Parses one policy file's YAML and remembers where each value sits, so an error can point the
 * operator at a line. YAML-level faults (bad indentation, duplicate keys, several documents) come
 * back as a single issue with its line.
 */

export type PolicyPath = (string | number)[];

export type ParsedPolicyYaml =
  | { ok: true; data: unknown; lineOf: (path: PolicyPath) => number | undefined }
  | { ok: false; message: string; line: number | undefined };

export function parsePolicyYaml(text: string): ParsedPolicyYaml {
  const lineCounter = new LineCounter();
  // `core` schema: no custom tags, no !!binary or !!timestamp surprises; duplicate keys are errors.
  const doc = parseDocument(text, { lineCounter, schema: 'core', uniqueKeys: true, prettyErrors: false, strict: true });
  const problem = doc.errors[0] ?? (doc.warnings[0] as typeof doc.errors[0] | undefined);
  if (problem) {
    const firstLine = problem.message.split('\n')[0] ?? 'invalid YAML';
    return { ok: false, message: `invalid YAML: ${firstLine}`, line: lineCounter.linePos(problem.pos[0]).line };
  }
  let data: unknown;
  try {
    // Alias expansion is capped by the library (maxAliasCount), so a "billion laughs" file fails here.
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    return { ok: false, message: `invalid YAML: ${(err as Error).message.split('\n')[0]}`, line: undefined };
  }
  return {
    ok: true,
    data,
    lineOf: (path) => {
      const offset = offsetOf(doc.contents, path);
      return offset === undefined ? undefined : lineCounter.linePos(offset).line;
    },
  };
}

/** Start offset of the deepest node along `path` that exists (the key, for a mapping entry). */
function offsetOf(root: Node | null, path: PolicyPath): number | undefined {
  let node: unknown = root;
  let best: number | undefined = rangeStart(root);
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
      if (!pair) return best;
      best = rangeStart(pair.key) ?? best;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment];
      if (item === undefined) return best;
      best = rangeStart(item) ?? best;
      node = item;
    } else {
      return best;
    }
  }
  return best;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  return range ? range[0] : undefined;
}
