import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { type CsvProblem, decodeListFile, parseAltCsv, parseSdnCsv } from './ofac-csv.ts';
import { type ListIdentity, SanctionsList } from './sanctions-list.ts';

export interface ListFiles {
  sdnFile: string;
  altFile?: string;
}

export type LoadOutcome =
  | { ok: true; list: SanctionsList; problems: CsvProblem[] }
  | { ok: false; error: 'unreadable' | 'empty' | 'too_many_problems'; detail: string; problems: CsvProblem[] };

/** A file with more unparseable records than this share is refused whole (a truncated or wrong file). */
export const MAX_PROBLEM_SHARE = 0.01;

/**
 * Reads and parses the OFAC files into a new list. The version is the newest modification time of
 * the files; the checksum is the SHA-256 of the SDN file's bytes followed by the alias file's.
 */
export async function loadSanctionsList(files: ListFiles, now = new Date()): Promise<LoadOutcome> {
  let sdnBytes: Buffer;
  let altBytes: Buffer = Buffer.alloc(0);
  let modified: Date;
  try {
    sdnBytes = await readFile(files.sdnFile);
    modified = (await stat(files.sdnFile)).mtime;
    if (files.altFile) {
      altBytes = await readFile(files.altFile);
      const altModified = (await stat(files.altFile)).mtime;
      if (altModified > modified) modified = altModified;
    }
  } catch (error) {
    return { ok: false, error: 'unreadable', detail: (error as Error).message, problems: [] };
  }
  const sdn = parseSdnCsv(decodeListFile(sdnBytes), files.sdnFile);
  const alt = files.altFile ? parseAltCsv(decodeListFile(altBytes), files.altFile) : { aliases: [], problems: [] };
  const problems = [...sdn.problems, ...alt.problems];
  if (sdn.entries.length === 0) return { ok: false, error: 'empty', detail: `${files.sdnFile} holds no SDN entries`, problems };
  const records = sdn.entries.length + alt.aliases.length + problems.length;
  if (problems.length / records > MAX_PROBLEM_SHARE) {
    return {
      ok: false,
      error: 'too_many_problems',
      detail: `${problems.length} of ${records} records could not be read (first: ${problems[0].file}:${problems[0].line} ${problems[0].message})`,
      problems,
    };
  }
  const checksum = createHash('sha256').update(sdnBytes).update(altBytes).digest('hex');
  const list = new SanctionsList(sdn.entries, alt.aliases, {
    version: modified.toISOString(),
    checksum,
    loadedAt: now.toISOString(),
  });
  return { ok: true, list, problems };
}

/**
 * The list in use. A refresh builds the new list completely, off to the side, and only then
 * replaces the reference: a screening runs against exactly one list, old or new, never a mix, and
 * a bad file leaves the current list in place.
 */
export class SanctionsListHolder {
  #current: SanctionsList | null = null;
  #refreshing: Promise<LoadOutcome> | null = null;
  readonly files: ListFiles | null;

  constructor(files: ListFiles | null) {
    this.files = files;
  }

  get current(): SanctionsList | null {
    return this.#current;
  }

  get identity(): ListIdentity | null {
    return this.#current?.identity ?? null;
  }

  /** Loads the files again; concurrent calls share one load. */
  refresh(): Promise<LoadOutcome> {
    const files = this.files;
    if (!files) {
      return Promise.resolve({ ok: false, error: 'unreadable', detail: 'no list files configured (SANCTIONS_SDN_FILE)', problems: [] });
    }
    this.#refreshing ??= loadSanctionsList(files)
      .then((outcome) => {
        if (outcome.ok) this.#current = outcome.list;
        return outcome;
      })
      .finally(() => {
        this.#refreshing = null;
      });
    return this.#refreshing;
  }

  /** Replace the list directly (tests, benchmarks). */
  use(list: SanctionsList): void {
    this.#current = list;
  }
}
