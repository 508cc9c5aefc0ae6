import type { z } from 'zod';

/** The parts of a zod schema's definition that say where keys live. */
export interface SchemaDef {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  options?: z.ZodType[];
  valueType?: z.ZodType;
  element?: z.ZodType;
  left?: z.ZodType;
  right?: z.ZodType;
}

export function defOf(schema: z.ZodType): SchemaDef {
  return (schema as unknown as { _zod: { def: SchemaDef } })._zod.def;
}

/** Unwraps defaults, optionals and pipes down to the schema that holds keys. */
export function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (let i = 0; i < 10; i++) {
    const def = defOf(current);
    const next = def.innerType ?? (def.type === 'pipe' ? def.in : undefined);
    if (!next) break;
    current = next;
  }
  return current;
}

/** The keys a mapping schema accepts (both sides of an intersection), or undefined when it is no mapping. */
export function keysOf(schema: z.ZodType): string[] | undefined {
  const def = defOf(unwrap(schema));
  if (def.type === 'object' && def.shape) return Object.keys(def.shape);
  if (def.type === 'intersection' && def.left && def.right) return [...(keysOf(def.left) ?? []), ...(keysOf(def.right) ?? [])];
  return undefined;
}

/** keysOf, and for a union the keys of every branch. */
function anyBranchKeys(schema: z.ZodType): string[] {
  const def = defOf(unwrap(schema));
  if (def.type === 'union' && def.options) return def.options.flatMap(anyBranchKeys);
  if (def.type === 'intersection' && def.left && def.right) return [...anyBranchKeys(def.left), ...anyBranchKeys(def.right)];
  return keysOf(schema) ?? [];
}

/** The schemas that may stand at `path` below `schema` (a union may give several). */
function schemasAt(schema: z.ZodType, path: readonly PropertyKey[]): z.ZodType[] {
  let current = [schema];
  for (const key of path) {
    const next: z.ZodType[] = [];
    const visit = (candidate: z.ZodType): void => {
      const def = defOf(unwrap(candidate));
      if (def.type === 'object' && def.shape && typeof key === 'string' && def.shape[key]) next.push(def.shape[key]);
      else if (def.type === 'record' && def.valueType) next.push(def.valueType);
      else if (def.type === 'array' && def.element && typeof key === 'number') next.push(def.element);
      else if (def.type === 'intersection' && def.left && def.right) {
        visit(def.left);
        visit(def.right);
      } else if (def.type === 'union' && def.options) for (const option of def.options) visit(option);
    };
    for (const candidate of current) visit(candidate);
    current = next;
  }
  return current;
}

/** Every key the mapping at `path` may hold, as far as the schema says. */
export function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  return [...new Set(schemasAt(schema, path).flatMap(anyBranchKeys))];
}

/**
 * The known key a mistyped one most likely meant: the nearest by edit distance (a swap of two
 * neighbouring letters counts once, case is ignored), if it is near enough to be a typo.
 */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  const typed = key.toLowerCase();
  const limit = typed.length <= 4 ? 1 : typed.length <= 8 ? 2 : 3;
  let best: { key: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(typed, candidate.toLowerCase());
    if (distance <= limit && (!best || distance < best.distance)) best = { key: candidate, distance };
  }
  return best?.key;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const row = rows[i] as number[];
      const above = rows[i - 1] as number[];
      row[j] = Math.min((above[j] as number) + 1, (row[j - 1] as number) + 1, (above[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        row[j] = Math.min(row[j] as number, ((rows[i - 2] as number[])[j - 2] as number) + 1);
    }
  }
  return (rows[a.length] as number[])[b.length] as number;
}
