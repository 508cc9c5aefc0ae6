import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { LoadedConfig } from '../config/load-config.ts';
import { CutoverError } from '../errors/cutover-error.ts';
import { ensurePrivateDir } from '../shared/private-files.ts';
import { type ProcessResult, runProcess, tailLines } from '../shared/run-process.ts';

const RELEASE_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$/;
/** Build and export output lines kept in a failure's details. */
const FAILURE_TAIL_LINES = 20;
/** git plumbing calls (rev-parse, tag) are quick; this only guards against a wedged repository. */
const GIT_QUERY_TIMEOUT_MS = 30_000;

export interface ResolveReleaseOptions {
  /** Sees the build command's output as it comes (default: this process's stderr). */
  onOutput?: (text: string) => void;
}

/** What the marker beside a finished export or build says: only a release with a marker is reused. */
interface ReleaseMarker {
  source: 'git' | 'build';
  /** The commit exported (git): a ref that now names another commit (a branch) is exported again. */
  commit?: string;
  builtAt: number;
}

/**
 * Finds the directory of a release: a directory per version, an export of a git ref, or the output
 * of a build command. Exports and builds run without blocking the event loop (the deploy lock's
 * heartbeat keeps firing), into a temporary directory renamed into place only on success, so a
 * failed or interrupted build is never reused. A git release is reused while its ref still names
 * the commit exported; a branch that moved is exported again.
 */
export async function resolveRelease(
  loaded: LoadedConfig,
  release: string,
  releasesDir: string,
  options: ResolveReleaseOptions = {},
): Promise<string> {
  if (!RELEASE_NAME.test(release)) {
    throw new CutoverError('CUT_ERR_CLI_BAD_ARGUMENT', `"${release}" is not a valid release name`, {
      hint: 'use letters, digits, dots, dashes, underscores or plus signs, e.g. v2 or 2026.11.21-1',
    });
  }
  const source = loaded.config.release;
  if (source.source === 'directory') return directoryRelease(loaded, source.path, release);
  ensurePrivateDir(releasesDir);
  const parent = join(releasesDir, loaded.config.service);
  const out = join(parent, release);
  const markerFile = join(parent, `.${release}.release.json`);
  const marker = readMarker(markerFile);
  const onOutput = options.onOutput ?? ((text: string) => process.stderr.write(text));
  if (source.source === 'git') {
    const repo = resolve(loaded.root, source.repo);
    const commit = await resolveCommit(repo, release);
    if (marker?.commit === commit && existsSync(out)) return out;
    await buildInto(parent, out, markerFile, { source: 'git', commit }, async (tmp) => {
      const archive = join(tmp, '.cutover-export.tar');
      const treeish = `${commit}:${source.subdir === '.' ? '' : source.subdir}`;
      const exported = await runProcess('git', ['-C', repo, 'archive', '--format=tar', '-o', archive, treeish], {
        timeoutMs: source.timeoutMs,
      });
      if (exported.exitCode !== 0) throw buildFailure(release, `git archive ${treeish}`, exported, source.timeoutMs);
      const extracted = await runProcess('tar', ['-x', '-f', archive, '-C', tmp], { timeoutMs: source.timeoutMs });
      if (extracted.exitCode !== 0) throw buildFailure(release, `tar -x of the export of ${treeish}`, extracted, source.timeoutMs);
      rmSync(archive, { force: true });
    });
    return out;
  }
  if (marker && existsSync(out)) return out;
  await buildInto(parent, out, markerFile, { source: 'build' }, async (tmp) => {
    const built = await runProcess('/bin/sh', ['-c', source.command], {
      cwd: loaded.root,
      env: { ...process.env, CUTOVER_RELEASE: release, CUTOVER_RELEASE_DIR: tmp },
      timeoutMs: source.timeoutMs,
      onOutput,
    });
    if (built.exitCode !== 0) throw buildFailure(release, source.command, built, source.timeoutMs);
    if (readdirSync(tmp).length === 0) {
      throw new CutoverError(
        'CUT_ERR_DEPLOY_BUILD_FAILED',
        `the build command for release "${release}" exited 0 but wrote nothing to CUTOVER_RELEASE_DIR`,
        {
          where: source.command,
          hint: 'the build must write the release into the directory named by $CUTOVER_RELEASE_DIR; nothing was deployed',
        },
      );
    }
  });
  return out;
}

/** Runs `fill` into a fresh temporary directory beside `out`, then swaps it into place and writes the marker. */
async function buildInto(
  parent: string,
  out: string,
  markerFile: string,
  marker: Omit<ReleaseMarker, 'builtAt'>,
  fill: (tmp: string) => Promise<void>,
): Promise<void> {
  mkdirSync(parent, { recursive: true });
  const tmp = await mkdtemp(join(parent, '.building-'));
  try {
    await fill(tmp);
  } catch (error) {
    rmSync(tmp, { recursive: true, force: true });
    throw error;
  }
  rmSync(markerFile, { force: true });
  if (existsSync(out)) {
    // A stale copy (a moved branch, a build cached before markers existed): the newest previous copy is kept
    // one deploy longer, so instances still running from it keep their files until they are replaced.
    const previous = join(parent, `.${out.slice(parent.length + 1)}.previous`);
    rmSync(previous, { recursive: true, force: true });
    renameSync(out, previous);
  }
  renameSync(tmp, out);
  writeFileSync(markerFile, `${JSON.stringify({ ...marker, builtAt: Date.now() } satisfies ReleaseMarker)}\n`);
}

/**
 * For a git release: the commit exported for `release` in the data directory whose releases are in
 * `releasesDir` (undefined when it holds no export), and the commit the ref names now in the repository.
 */
export async function gitReleaseCommits(
  loaded: LoadedConfig,
  release: string,
  releasesDir: string,
): Promise<{ exported: string | undefined; now: string } | undefined> {
  const source = loaded.config.release;
  if (source.source !== 'git') return undefined;
  const marker = readMarker(join(releasesDir, loaded.config.service, `.${release}.release.json`));
  return { exported: marker?.commit, now: await resolveCommit(resolve(loaded.root, source.repo), release) };
}

async function resolveCommit(repo: string, release: string): Promise<string> {
  const verify = await runProcess('git', ['-C', repo, 'rev-parse', '--verify', '--quiet', `${release}^{commit}`], {
    timeoutMs: GIT_QUERY_TIMEOUT_MS,
  });
  if (verify.exitCode === 0) return verify.stdout.trim();
  const tagList = await runProcess('git', ['-C', repo, 'tag', '--sort=-creatordate'], { timeoutMs: GIT_QUERY_TIMEOUT_MS });
  const tags = tagList.stdout.split('\n').filter(Boolean).slice(0, 10);
  throw new CutoverError('CUT_ERR_DEPLOY_UNKNOWN_RELEASE', `release "${release}" is not a git ref in ${repo}`, {
    where: repo,
    hint: tags.length ? `recent tags: ${tags.join(', ')}` : 'tag the commit to deploy (git tag v2) or pass a commit id',
  });
}

function buildFailure(release: string, what: string, result: ProcessResult, timeoutMs: number): CutoverError {
  const how = result.spawnError
    ? `could not start (${result.spawnError})`
    : result.timedOut
      ? `timed out after ${timeoutMs} ms (its process group was killed)`
      : `exited with ${result.exitCode ?? result.signal}`;
  return new CutoverError('CUT_ERR_DEPLOY_BUILD_FAILED', `building release "${release}": ${what} ${how}`, {
    where: what,
    hint: 'run it by hand to see why; nothing was deployed and nothing was cached',
    details: {
      exitCode: result.exitCode,
      signal: result.signal,
      timedOut: result.timedOut,
      outputTail: tailLines(result.output, FAILURE_TAIL_LINES),
    },
  });
}

function readMarker(file: string): ReleaseMarker | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ReleaseMarker;
  } catch {
    return undefined;
  }
}

function directoryRelease(loaded: LoadedConfig, pattern: string, release: string): string {
  const dir = resolve(loaded.root, pattern.replaceAll('{release}', release));
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    const known = listDirectoryReleases(loaded.root, pattern);
    throw new CutoverError('CUT_ERR_DEPLOY_UNKNOWN_RELEASE', `release "${release}" not found: ${dir} does not exist`, {
      where: dir,
      hint: known.length ? `known releases: ${known.join(', ')}` : `create ${dir} or fix release.path in cutover.yml`,
      details: { known },
    });
  }
  return dir;
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
