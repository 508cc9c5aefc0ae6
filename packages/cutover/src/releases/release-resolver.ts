import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { LoadedConfig } from '../config/load-config.ts';
import { CutoverError } from '../errors/cutover-error.ts';

const RELEASE_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$/;

/**
 * Finds the directory of a release: a directory per version, an export of a git ref, or the output
 * of a build command. Exports and builds land in the data directory and are reused when present.
 */
export function resolveRelease(loaded: LoadedConfig, release: string, releasesDir: string): string {
  if (!RELEASE_NAME.test(release)) {
    throw new CutoverError('CUT_ERR_CLI_BAD_ARGUMENT', `"${release}" is not a valid release name`, {
      hint: 'use letters, digits, dots, dashes, underscores or plus signs, e.g. v2 or 2026.11.21-1',
    });
  }
  const source = loaded.config.release;
  if (source.source === 'directory') {
    const dir = resolve(loaded.root, source.path.replaceAll('{release}', release));
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      const known = listDirectoryReleases(loaded.root, source.path);
      throw new CutoverError('CUT_ERR_DEPLOY_UNKNOWN_RELEASE', `release "${release}" not found: ${dir} does not exist`, {
        where: dir,
        hint: known.length ? `known releases: ${known.join(', ')}` : `create ${dir} or fix release.path in cutover.yml`,
        details: { known },
      });
    }
    return dir;
  }
  const out = join(releasesDir, loaded.config.service, release);
  if (existsSync(out)) return out;
  mkdirSync(out, { recursive: true });
  if (source.source === 'git') {
    const repo = resolve(loaded.root, source.repo);
    const verify = spawnSync('git', ['-C', repo, 'rev-parse', '--verify', '--quiet', `${release}^{commit}`], { encoding: 'utf8' });
    if (verify.status !== 0) {
      const tags = spawnSync('git', ['-C', repo, 'tag', '--sort=-creatordate'], { encoding: 'utf8' })
        .stdout.split('\n')
        .filter(Boolean)
        .slice(0, 10);
      throw new CutoverError('CUT_ERR_DEPLOY_UNKNOWN_RELEASE', `release "${release}" is not a git ref in ${repo}`, {
        where: repo,
        hint: tags.length ? `recent tags: ${tags.join(', ')}` : 'tag the commit to deploy (git tag v2) or pass a commit id',
      });
    }
    const archive = execFileSync(
      'git',
      ['-C', repo, 'archive', '--format=tar', `${release}:${source.subdir === '.' ? '' : source.subdir}`],
      {
        maxBuffer: 1024 * 1024 * 1024,
      },
    );
    spawnSync('tar', ['-x', '-C', out], { input: archive });
    return out;
  }
  const build = spawnSync('/bin/sh', ['-c', source.command], {
    cwd: loaded.root,
    env: { ...process.env, CUTOVER_RELEASE: release, CUTOVER_RELEASE_DIR: out },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (build.status !== 0) {
    throw new CutoverError(
      'CUT_ERR_DEPLOY_BUILD_FAILED',
      `the build command for release "${release}" exited with ${build.status ?? build.signal}`,
      {
        where: source.command,
        hint: 'run the build command by hand to see why; nothing was deployed',
      },
    );
  }
  return out;
}

function listDirectoryReleases(root: string, pattern: string): string[] {
  const template = resolve(root, pattern);
  const parent = dirname(template);
  if (!template.endsWith('{release}') || !existsSync(parent)) return [];
  return readdirSync(parent, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}
