import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CutoverError } from '../errors/cutover-error.ts';
import { writeFileAtomic } from '../shared/write-file-atomic.ts';
import { buildAlertRules } from './alert-rules.ts';
import { buildGrafanaDashboard } from './grafana-dashboard.ts';
import type { MonitoringInput } from './monitoring-options.ts';
import { buildScrapeConfig } from './scrape-config.ts';

export interface MonitoringFiles {
  scrapeConfig: string;
  alertRules: string;
  grafanaDashboard: string;
}

/** Writes prometheus.yml, cutover-alerts.yml and grafana-dashboard.json into `dir`; returns their paths. */
export function writeMonitoring(dir: string, input: MonitoringInput): MonitoringFiles {
  const files: MonitoringFiles = {
    scrapeConfig: join(dir, 'prometheus.yml'),
    alertRules: join(dir, 'cutover-alerts.yml'),
    grafanaDashboard: join(dir, 'grafana-dashboard.json'),
  };
  try {
    mkdirSync(dir, { recursive: true });
    writeFileAtomic(files.scrapeConfig, buildScrapeConfig(input, 'cutover-alerts.yml'), 0o644);
    writeFileAtomic(files.alertRules, buildAlertRules(input), 0o644);
    writeFileAtomic(files.grafanaDashboard, `${JSON.stringify(buildGrafanaDashboard(input), null, 2)}\n`, 0o644);
  } catch (error) {
    throw new CutoverError('CUT_ERR_MONITORING_WRITE', `cannot write the monitoring files in ${dir}: ${(error as Error).message}`, {
      where: dir,
      hint: 'pass --out with a writable directory',
      cause: error,
    });
  }
  return files;
}
