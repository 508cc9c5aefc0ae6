// The architecture's one-way dependencies, checked on the import statements themselves.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SRC = 'packages/cutover/src';

/**
 * Every folder of packages/cutover/src and the folders it may import from. Lower layers first:
 * shared helpers import no feature folder; the agent (data plane) never imports the control plane
 * (controller, strategies, analysis, checks, database, store) or the CLI; only the CLI imports the CLI.
 * A new folder needs a line here (the test says so).
 */
const ALLOWED: Record<string, readonly string[]> = {
  shared: [],
  errors: ['shared'],
  config: ['errors', 'shared'],
  pipeline: ['config', 'shared'],
  analysis: ['config', 'errors', 'shared'],
  database: ['config', 'errors', 'pipeline', 'shared'],
  checks: ['config', 'database', 'errors', 'pipeline', 'shared'],
  accessories: ['checks', 'config', 'database', 'errors', 'shared'],
  agent: ['config', 'errors', 'shared'],
  platform: ['agent', 'config', 'errors', 'shared'],
  releases: ['agent', 'config', 'errors', 'shared'],
  store: ['errors', 'shared'],
  kubernetes: ['analysis', 'config', 'errors', 'platform', 'shared'],
  dashboard: ['agent', 'config', 'errors', 'platform', 'shared', 'store'],
  monitoring: ['config', 'errors', 'shared'],
  strategies: ['agent', 'analysis', 'checks', 'config', 'errors', 'platform', 'releases', 'shared', 'store'],
  controller: [
    'accessories',
    'agent',
    'analysis',
    'checks',
    'config',
    'dashboard',
    'database',
    'errors',
    'kubernetes',
    'pipeline',
    'platform',
    'releases',
    'shared',
    'store',
    'strategies',
  ],
  cli: [
    'accessories',
    'agent',
    'analysis',
    'checks',
    'config',
    'controller',
    'dashboard',
    'database',
    'errors',
    'kubernetes',
    'monitoring',
    'pipeline',
    'platform',
    'releases',
    'shared',
    'store',
    'strategies',
  ],
};

function sourceFiles(dir: string): string[] {
  let files: string[];
  try {
    files = readdirSync(dir);
  } catch {
    return [];
  }
  return files.flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name.startsWith('.')) return [];
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|js)$/.test(name) ? [path] : [];
  });
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1] ?? m[2]);
}

function resolved(file: string, specifier: string): string | null {
  return specifier.startsWith('.') ? relative(ROOT, resolve(dirname(file), specifier)) : null;
}

/** The src folder a repository path lies in ("controller" for packages/cutover/src/controller/x.ts), or null. */
function folderOf(path: string): string | null {
  const rest = path.startsWith(`${SRC}/`) ? path.slice(SRC.length + 1) : null;
  if (rest === null || !rest.includes('/')) return null;
  return rest.slice(0, rest.indexOf('/'));
}

/** Every import from one src folder into another: "from → to: file → target". */
function folderEdges(): { from: string; to: string; where: string }[] {
  const edges: { from: string; to: string; where: string }[] = [];
  for (const file of sourceFiles(join(ROOT, SRC))) {
    const from = folderOf(relative(ROOT, file));
    if (from === null) continue;
    for (const specifier of imports(file)) {
      const target = resolved(file, specifier);
      const to = target === null ? null : folderOf(target);
      if (to !== null && to !== from) edges.push({ from, to, where: `${relative(ROOT, file)} → ${target}` });
    }
  }
  return edges;
}

test('every folder of packages/cutover/src has a dependency rule', () => {
  const folders = readdirSync(join(ROOT, SRC)).filter((name) => statSync(join(ROOT, SRC, name)).isDirectory());
  assert.deepEqual(
    folders.filter((name) => !(name in ALLOWED)),
    [],
    'add the new folder and what it may import to ALLOWED in test/unit/dependency-direction.test.ts',
  );
});

test('each folder imports only the folders its rule allows', () => {
  const offenders = folderEdges()
    .filter((edge) => !(ALLOWED[edge.from] ?? []).includes(edge.to))
    .map((edge) => edge.where);
  assert.deepEqual(offenders, []);
});

test('no two folders import each other (dependencies point one way)', () => {
  const pairs = new Set(folderEdges().map((edge) => `${edge.from}→${edge.to}`));
  const both = [...pairs].filter((pair) => {
    const [from, to] = pair.split('→');
    return pairs.has(`${to}→${from}`);
  });
  assert.deepEqual(both, []);
  // The rule table itself is acyclic in pairs too, so a fix can never be to allow both directions.
  const mutual = Object.entries(ALLOWED).flatMap(([from, tos]) =>
    tos.filter((to) => ALLOWED[to]?.includes(from)).map((to) => `${from}↔${to}`),
  );
  assert.deepEqual(mutual, []);
});

test('services import only the service kit among the project packages', () => {
  const offenders: string[] = [];
  for (const file of sourceFiles(join(ROOT, 'services'))) {
    for (const specifier of imports(file)) {
      const target = resolved(file, specifier);
      if (specifier === 'cutover' || specifier.startsWith('cutover/') || (target && /^packages\/cutover\//.test(target))) {
        offenders.push(`${relative(ROOT, file)} → ${specifier}`);
      }
    }
  }
  assert.deepEqual(offenders, []);
});

test('the product and the service kit never import tests, benchmarks, services or examples', () => {
  const offenders: string[] = [];
  for (const dir of ['packages/cutover/src', 'packages/service-kit/src']) {
    for (const file of sourceFiles(join(ROOT, dir))) {
      for (const specifier of imports(file)) {
        const target = resolved(file, specifier);
        if (target && /^(test|bench|services|examples)\//.test(target)) offenders.push(`${relative(ROOT, file)} → ${target}`);
      }
    }
  }
  assert.deepEqual(offenders, []);
});

test('the checker sees violations (it can fail)', () => {
  const sample = join(ROOT, SRC, 'agent/agent.ts');
  assert.equal(resolved(sample, '../controller/x.ts'), `${SRC}/controller/x.ts`);
  assert.equal(folderOf(`${SRC}/controller/x.ts`), 'controller');
  assert.equal(folderOf(`${SRC}/index.ts`), null);
  assert.equal(imports(sample).length > 0, true);
  assert.equal(ALLOWED.agent.includes('controller'), false);
});
