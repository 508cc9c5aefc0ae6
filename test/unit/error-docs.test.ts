import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ERROR_CODES } from '../../packages/cutover/src/errors/registry.ts';
import { renderErrorDocs } from '../../packages/cutover/src/errors/render-error-docs.ts';

test('docs/errors.md lists exactly the registered error codes (regenerate: npm run docs:errors)', () => {
  const docs = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  assert.equal(docs, renderErrorDocs());
});

test('every error code follows CUT_ERR_<AREA>_<CONDITION> and has an exit code and a title', () => {
  for (const [code, spec] of Object.entries(ERROR_CODES)) {
    assert.match(code, /^CUT_ERR_[A-Z]+_[A-Z_]+$/, code);
    assert.ok(Number.isInteger(spec.exitCode) && spec.exitCode > 0, code);
    assert.ok(spec.title.length > 10, code);
  }
});

test('every code thrown in the source is registered', () => {
  const root = new URL('../..', import.meta.url);
  const dirs = ['packages', 'services'].filter((dir) => existsSync(new URL(dir, root)));
  const found = execFileSync('grep', ['-rhoE', "'CUT_ERR_[A-Z_]+'", ...dirs, '--include=*.ts'], { cwd: root, encoding: 'utf8' });
  const used = new Set(
    found
      .split('\n')
      .filter(Boolean)
      .map((s) => s.slice(1, -1)),
  );
  const missing = [...used].filter((code) => !(code in ERROR_CODES));
  assert.deepEqual(missing, []);
});
