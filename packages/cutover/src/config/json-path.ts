/** One step of a JSON path: an object key or an array index. */
export type JsonPathSegment = { key: string } | { index: number };

const STEP = /^(?:\.([A-Za-z_$][A-Za-z0-9_$-]*)|\[(\d+)\]|\['([^']*)'\]|\["([^"]*)"\])/;

/**
 * Parses the small JSON path dialect metric providers accept: `$`, then any of `.key`, `[0]`,
 * `['key']`, `["key"]`. No wildcards, filters or recursion: a metric must name exactly one value,
 * so anything that could select several is refused rather than guessed at.
 */
export function parseJsonPath(path: string): JsonPathSegment[] | { error: string } {
  const text = path.trim();
  if (!text.startsWith('$')) return { error: `must start with $ (got ${JSON.stringify(path)})` };
  const segments: JsonPathSegment[] = [];
  let rest = text.slice(1);
  while (rest.length > 0) {
    const match = STEP.exec(rest);
    if (!match) return { error: `cannot read ${JSON.stringify(rest)} in ${JSON.stringify(path)}: use .key, [0], ['key']` };
    if (match[1] !== undefined) segments.push({ key: match[1] });
    else if (match[2] !== undefined) segments.push({ index: Number(match[2]) });
    else segments.push({ key: match[3] ?? match[4] });
    rest = rest.slice(match[0].length);
  }
  return segments;
}

/** The value at `path` in `document`, or undefined when any step is missing. */
export function selectJsonPath(document: unknown, segments: readonly JsonPathSegment[]): unknown {
  let current: unknown = document;
  for (const segment of segments) {
    if ('index' in segment) {
      if (!Array.isArray(current) || segment.index >= current.length) return undefined;
      current = current[segment.index];
    } else {
      if (current === null || typeof current !== 'object' || Array.isArray(current) || !Object.hasOwn(current, segment.key))
        return undefined;
      current = (current as Record<string, unknown>)[segment.key];
    }
  }
  return current;
}
