import { readFileSync } from 'node:fs';
import type { LoadedConfig } from '../config/load-config.ts';
import type { Submission } from './deployment-submission.ts';

/**
 * The config a submission carries: cutover.yml's path and text and, for an environment (--env),
 * its overlay's path and text, so the controller validates the same merged config again.
 */
export function configSnapshot(loaded: LoadedConfig): Pick<Submission, 'configFile' | 'configText' | 'environment'> {
  return {
    configFile: loaded.file,
    configText: readFileSync(loaded.file, 'utf8'),
    ...(loaded.environment && { environment: { ...loaded.environment, text: readFileSync(loaded.environment.file, 'utf8') } }),
  };
}
