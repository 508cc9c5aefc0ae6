// The Kubernetes target's figures (issue 13) for the compliance service:
//   1. render time of `cutover k8s render` for services/compliance/cutover.yml (load + validate the
//      file, render every object, serialise the YAML), beside its anchor in the same run: loading
//      and validating the same file alone, which every cutover command pays; plus the schema
//      validation of the rendered objects (tests and --validate only), and one whole CLI process;
//   2. how many keys of the file map to the cluster, and the list of those that do not.
//   node bench/k8s-render.bench.ts [--runs 200] [--config services/compliance/cutover.yml]
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';
import { loadConfig } from '../packages/cutover/src/config/load-config.ts';
import { leafKeys, mappingOf } from '../packages/cutover/src/kubernetes/key-mapping.ts';
import { manifestsToYaml } from '../packages/cutover/src/kubernetes/manifest-yaml.ts';
import { renderManifests } from '../packages/cutover/src/kubernetes/render-manifests.ts';
import { validateManifests } from '../packages/cutover/src/kubernetes/validate-manifests.ts';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '200' }, config: { type: 'string', default: 'services/compliance/cutover.yml' } },
});
const RUNS = Number(values.runs);
const ROOT = new URL('../', import.meta.url).pathname;
const FILE = resolve(ROOT, values.config as string);
const DIR = dirname(FILE);
const NAME = FILE.slice(DIR.length + 1);

function timeEach(fn: () => unknown): { p50: number; p95: number } {
  for (let i = 0; i < 20; i++) fn(); // warm-up: compile and cache
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    fn();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return { p50: samples[Math.floor(RUNS * 0.5)] as number, p95: samples[Math.floor(RUNS * 0.95)] as number };
}

const load = timeEach(() => loadConfig(DIR, NAME));
const render = timeEach(() => manifestsToYaml(renderManifests(loadConfig(DIR, NAME), { release: 'v2', baseline: 'v1' }).manifests));
const manifests = renderManifests(loadConfig(DIR, NAME), { release: 'v2' }).manifests;
await validateManifests(manifests); // loads the schema modules once
const validateStart = performance.now();
for (let i = 0; i < 20; i++) await validateManifests(manifests);
const validateMs = (performance.now() - validateStart) / 20;
const cliStart = performance.now();
execFileSync(process.execPath, [resolve(ROOT, 'packages/cutover/bin/cutover.js'), 'k8s', 'render', '--release', 'v2', '--config', FILE], {
  stdio: ['ignore', 'ignore', 'inherit'],
});
const cliMs = performance.now() - cliStart;

const keys = leafKeys(parse(readFileSync(FILE, 'utf8'), { merge: true })).filter((key) => !key.startsWith('kubernetes.'));
const unmapped = keys.filter((key) => !mappingOf(key).mapped);
const distinct = (list: string[]) => [...new Set(list.map((key) => key.replace(/\[\d+\]/g, '[]')))];

const fmt = (ms: number) => `${ms.toFixed(3)} ms`;
console.log(`command: node bench/k8s-render.bench.ts --runs ${RUNS} --config ${values.config}`);
console.log(
  `load average (1/5/15 min): ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ')} on ${process.env.NPROC ?? 'this machine'}`,
);
console.log(`objects rendered: ${manifests.length} (${manifests.map((m) => m.kind).join(', ')})`);
console.log('');
console.log('| measure | p50 | p95 | ratio to the anchor (p50) |');
console.log('| --- | --- | --- | --- |');
console.log(`| anchor: load + validate cutover.yml | ${fmt(load.p50)} | ${fmt(load.p95)} | 1.00 |`);
console.log(
  `| load + render + YAML (k8s render in-process) | ${fmt(render.p50)} | ${fmt(render.p95)} | ${(render.p50 / load.p50).toFixed(2)} |`,
);
console.log(`| schema validation of the objects (mean of 20) | ${fmt(validateMs)} | | ${(validateMs / load.p50).toFixed(2)} |`);
console.log(`| one \`cutover k8s render\` process (wall, once) | ${fmt(cliMs)} | | |`);
console.log('');
console.log(
  `keys of ${values.config} (kubernetes: excluded): ${keys.length} leaf keys, ${keys.length - unmapped.length} map to the cluster, ${unmapped.length} do not`,
);
console.log(
  `distinct keys (list indexes folded): ${distinct(keys).length}, mapped ${distinct(keys).length - distinct(unmapped).length}, not mapped ${distinct(unmapped).length}:`,
);
for (const key of distinct(unmapped)) console.log(`  ${key}: ${mappingOf(key).to}`);
