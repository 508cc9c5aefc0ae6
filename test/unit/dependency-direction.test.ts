// The architecture's one-way dependencies, checked on the import statements themselves.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

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

test('agent code never imports orchestrator, strategy, analysis or CLI code', () => {
  const offenders: string[] = [];
  for (const file of sourceFiles(join(ROOT, 'packages/cutover/src/agent'))) {
    for (const specifier of imports(file)) {
      const target = resolved(file, specifier);
      if (target && /^packages\/cutover\/src\/(orchestrator|strategies|analysis|cli|database|checks)\//.test(target)) {
        offenders.push(`${relative(ROOT, file)} → ${target}`);
      }
    }
  }
  assert.deepEqual(offenders, []);
});

test('services import only the service kit among the project packages', () => {
  const offenders: string[] = [];
  for (const file of sourceFiles(join(ROOT, 'services'))) {
    for (const specifier of imports(file)) {
      const target = resolved(file, specifier);
      if (specifier === 'cutover' || specifier.startsWith('cutover/') || (target && /^(packages\/cutover|apps)\//.test(target))) {
        offenders.push(`${relative(ROOT, file)} → ${specifier}`);
      }
    }
  }
  assert.deepEqual(offenders, []);
});

test('nothing imports from apps/', () => {
  const offenders: string[] = [];
  for (const dir of ['packages', 'services', 'examples', 'test', 'bench']) {
    for (const file of sourceFiles(join(ROOT, dir))) {
      for (const specifier of imports(file)) {
        const target = resolved(file, specifier);
        if (target?.startsWith('apps/')) offenders.push(`${relative(ROOT, file)} → ${target}`);
      }
    }
  }
  assert.deepEqual(offenders, []);
});

test('the checker sees violations (it can fail)', () => {
  const sample = join(ROOT, 'packages/cutover/src/agent/agent.ts');
  assert.equal(resolved(sample, '../orchestrator/x.ts'), 'packages/cutover/src/orchestrator/x.ts');
  assert.deepEqual(imports(sample).length > 0, true);
});
