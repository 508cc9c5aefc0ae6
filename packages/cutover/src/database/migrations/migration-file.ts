import { CutoverError } from '../../errors/cutover-error.ts';
import { migrationChecksum, normalizeMigrationText } from './checksum.ts';
import { type MigrationDirectives, parseDirectives } from './migration-directives.ts';
import { SqlSyntaxError } from './sql-parser.ts';
import { type SqlStatement, splitStatements } from './sql-splitter.ts';
import { tokenizeSql } from './sql-tokenizer.ts';

/** `0007_add_orders_index.sql`: a number (its id, compared numerically) and a slug. */
export const MIGRATION_FILE_PATTERN = /^(\d+)_([A-Za-z0-9][A-Za-z0-9_-]*)\.sql$/;
export const UP_MARKER = '-- migrate:up';
export const DOWN_MARKER = '-- migrate:down';
const MARKER_LIKE = /^--\s*migrate\s*:/i;

interface Marker {
  start: number;
  offset: number;
  line: number;
}

/** One parsed migration file. */
export interface MigrationFile {
  /** Numeric prefix without leading zeros ("7" for 0007_x.sql): the order and the key in history. */
  id: string;
  /** File name without `.sql`, e.g. `0007_add_orders_index`. */
  name: string;
  fileName: string;
  checksum: string;
  kind: 'expand' | 'contract';
  directives: MigrationDirectives;
  up: SqlStatement[];
  /** null when the file has no `-- migrate:down` section: the migration cannot be rolled back. */
  down: SqlStatement[] | null;
}

/**
 * Parses a migration file. Sections start at `-- migrate:up` and `-- migrate:down` line comments;
 * a file without markers is all "up" and has no down. A comment that looks like a marker but is not
 * exactly one is refused, because a typo would otherwise run the down part while migrating up.
 */
export function parseMigrationFile(fileName: string, rawText: string): MigrationFile {
  try {
    return parseSections(fileName, rawText);
  } catch (error) {
    if (!(error instanceof SqlSyntaxError)) throw error;
    const where = error.line === undefined ? fileName : `${fileName}:${error.line}`;
    throw new CutoverError('CUT_ERR_MIGRATE_SQL_SYNTAX', `${where}: ${error.message}`, {
      where,
      hint: 'fix the SQL there: PostgreSQL would refuse to run it',
    });
  }
}

function parseSections(fileName: string, rawText: string): MigrationFile {
  const match = MIGRATION_FILE_PATTERN.exec(fileName);
  if (!match) {
    throw new CutoverError('CUT_ERR_MIGRATE_FILE_INVALID', `migration file name "${fileName}" is not NNNN_slug.sql`, {
      where: fileName,
      hint: 'name migration files with a number, an underscore and a slug, e.g. 0003_add_orders_index.sql',
    });
  }
  const text = normalizeMigrationText(rawText);
  const tokens = tokenizeSql(text);
  const comments = tokens.filter((t) => t.kind === 'line-comment');
  let up: Marker | undefined;
  let down: Marker | undefined;
  for (const comment of comments) {
    const trimmed = comment.text.trim();
    if (!MARKER_LIKE.test(trimmed)) continue;
    const where = `${fileName}:${comment.line}`;
    const marker = trimmed.toLowerCase().replace(/\s+/g, ' ');
    const position = { start: comment.offset, offset: comment.offset + comment.text.length, line: comment.line };
    if (marker === UP_MARKER && !up && !down) up = position;
    else if (marker === DOWN_MARKER && !down) down = position;
    else {
      throw new CutoverError('CUT_ERR_MIGRATE_FILE_INVALID', `unexpected marker "${trimmed}" in ${fileName}`, {
        where,
        hint: `a migration has one "${UP_MARKER}" line, then optionally one "${DOWN_MARKER}" line, each exactly so`,
      });
    }
  }
  const firstMarker = up ?? down;
  if (firstMarker && splitStatements(text.slice(0, firstMarker.start)).length > 0) {
    throw new CutoverError('CUT_ERR_MIGRATE_FILE_INVALID', `${fileName} has statements above its first migrate marker`, {
      where: `${fileName}:${firstMarker.line}`,
      hint: `put "${UP_MARKER}" above the up statements; only comments may come before it`,
    });
  }
  const upStart = up ?? { start: 0, offset: 0, line: 1 };
  const upText = down && !up ? '' : text.slice(upStart.offset, down ? down.start : text.length);
  const directives = parseDirectives(comments);
  return {
    id: String(Number(match[1])),
    name: fileName.slice(0, -'.sql'.length),
    fileName,
    checksum: migrationChecksum(rawText),
    kind: directives.contract ? 'contract' : 'expand',
    directives,
    up: splitStatements(upText, upStart.line - 1),
    down: down ? splitStatements(text.slice(down.offset), down.line - 1) : null,
  };
}
