/** Placeholders a metric query may use; anything else is refused at load so a typo never runs. */
export const TEMPLATE_VARIABLES = ['release', 'baseline', 'service', 'window'] as const;

export type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number];
export type TemplateValues = Record<TemplateVariable, string | undefined>;

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** Names used in `{{name}}` placeholders, in order of first use. */
export function templatePlaceholders(template: string): string[] {
  const names = new Set<string>();
  for (const match of template.matchAll(PLACEHOLDER)) names.add(match[1]);
  return [...names];
}

/** Placeholders that are not TEMPLATE_VARIABLES. */
export function unknownPlaceholders(template: string): string[] {
  return templatePlaceholders(template).filter((name) => !(TEMPLATE_VARIABLES as readonly string[]).includes(name));
}

/**
 * Fills `{{release}}`, `{{baseline}}`, `{{service}}` and `{{window}}`. `encode` encodes each value
 * for where it lands (a URL, a shell word). A placeholder whose value is missing (no baseline given)
 * is an error value, not an empty string: an empty label matcher would silently match other series.
 */
export function renderTemplate(
  template: string,
  values: TemplateValues,
  encode: (value: string) => string = (value) => value,
): { text: string } | { error: string } {
  const missing = templatePlaceholders(template).filter((name) => values[name as TemplateVariable] === undefined);
  if (missing.length > 0) {
    return { error: `the query uses {{${missing.join('}}, {{')}}} but no value was given for it` };
  }
  const text = template.replace(PLACEHOLDER, (_whole, name: string) => encode(values[name as TemplateVariable] as string));
  return { text };
}

/**
 * A Prometheus range duration for a window: the largest unit that divides it exactly, so 300000 ms
 * reads `5m` in the recorded query and 1500 ms stays exact as `1500ms`.
 */
export function formatPromDuration(ms: number): string {
  const units: [number, string][] = [
    [86_400_000, 'd'],
    [3_600_000, 'h'],
    [60_000, 'm'],
    [1000, 's'],
  ];
  const whole = Math.max(0, Math.round(ms));
  for (const [size, unit] of units) {
    if (whole >= size && whole % size === 0) return `${whole / size}${unit}`;
  }
  return `${whole}ms`;
}

/** The placeholder values of one measurement. */
export function templateValues(ctx: {
  release: string;
  baselineRelease: string | undefined;
  service: string | undefined;
  windowMs: number;
}): TemplateValues {
  return { release: ctx.release, baseline: ctx.baselineRelease, service: ctx.service, window: formatPromDuration(ctx.windowMs) };
}
