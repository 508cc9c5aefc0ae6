import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CutoverError } from '../../errors/cutover-error.ts';
import { type MigrationFile, parseMigrationFile } from './migration-file.ts';

/** Reads every `*.sql` file of the directory, in id order. Misnamed or duplicate ids are refused. */
export function loadMigrationFiles(directory: string): MigrationFile[] {
  if (!existsSync(directory)) {
    throw new CutoverError('CUT_ERR_MIGRATE_DIRECTORY_MISSING', `migrations directory ${directory} does not exist`, {
      where: directory,
      hint: 'create it, or set migrations.directory in cutover.yml (relative to cutover.yml)',
    });
  }
  const files = readdirSync(directory)
    .filter((name) => name.endsWith('.sql'))
    .map((name) => parseMigrationFile(name, readFileSync(join(directory, name), 'utf8')))
    .sort((a, b) => Number(a.id) - Number(b.id));
  for (let i = 1; i < files.length; i++) {
    if (files[i].id === files[i - 1].id) {
      throw new CutoverError('CUT_ERR_MIGRATE_FILE_INVALID', `${files[i - 1].fileName} and ${files[i].fileName} have the same number`, {
        where: join(directory, files[i].fileName),
        hint: 'renumber one of them: every migration needs its own number',
      });
    }
  }
  return files;
}
