import { loadConfig } from '../config/load-config.ts';
import { CutoverError } from '../errors/cutover-error.ts';
import type { DeploymentRecord } from '../store/deployment-store.ts';
import type { Command } from './command.ts';
import { k8sHistory, TARGET_OPTION, targetsKubernetes } from './k8s-target.ts';
import type { Output } from './output.ts';
import { formatMs } from './output.ts';
import { withRecords } from './recorded-deployments.ts';
import { formatTable } from './table.ts';

export const historyCommand: Command = {
  name: 'history',
  summary: 'past deployments; with an id, every step, decision and value of one',
  usage: 'cutover history [deployment-id] [--limit N] [--json]',
  options: { limit: { type: 'string', short: 'n', help: 'how many deployments to list (default 20)' }, ...TARGET_OPTION },
  exitCodes: { 5: 'no deployment with that id' },
  async run({ args, options, out, cwd }) {
    const loaded = loadConfig(cwd, options.config as string | undefined);
    if (targetsKubernetes(loaded, options)) return k8sHistory(out, loaded);
    const service = loaded.config.service;
    return withRecords(loaded.dataDir, (store) => {
      if (args[0]) {
        const record = store.deployment(Number(args[0]));
        if (!record || record.service !== service) {
          throw new CutoverError('CUT_ERR_DEPLOY_NOT_FOUND', `no deployment ${args[0]} of ${service}`, {
            hint: 'run "cutover history" to list the recorded deployments',
          });
        }
        out.result({ deployment: record });
        printRecord(out, record);
        return 0;
      }
      const limit = Number(options.limit ?? 20);
      if (!Number.isInteger(limit) || limit < 1)
        throw new CutoverError('CUT_ERR_CLI_BAD_ARGUMENT', `--limit must be a positive integer (got ${options.limit})`);
      const records = store.deployments(service, limit);
      out.result({ environment: loaded.environment?.name ?? null, deployments: records });
      if (loaded.environment) out.line(`environment ${loaded.environment.name}: the records of ${loaded.dataDir}`);
      if (records.length === 0) out.line(`no deployments of ${service} yet: "cutover deploy <release>" makes the first`);
      else
        out.line(
          formatTable(
            ['ID', 'KIND', 'FROM', 'TO', 'STATE', 'BY', 'STARTED', 'TOOK', 'REASON'],
            records.map((r) => [
              r.id,
              r.kind,
              r.fromRelease,
              r.toRelease,
              r.state,
              r.actor,
              new Date(r.startedAt).toISOString(),
              r.endedAt ? formatMs(r.endedAt - r.startedAt) : null,
              r.reason,
            ]),
          ),
        );
      return 0;
    });
  },
};

function printRecord(out: Output, record: DeploymentRecord): void {
  out.line(`deployment ${record.id}: ${record.kind} of ${record.service} ${record.fromRelease ?? '(nothing)'} → ${record.toRelease}`);
  out.line(
    `by ${record.actor} on ${record.host} (pid ${record.pid}), ${new Date(record.startedAt).toISOString()}: ${record.state}${record.reason ? ` (${record.reason})` : ''}`,
  );
  for (const [key, value] of Object.entries(record.facts)) out.line(`${key}: ${JSON.stringify(value)}`);
  out.line();
  out.line(
    formatTable(
      ['STEP', 'OUTCOME', 'TOOK', 'REASON'],
      record.steps.map((s) => [s.name, s.outcome, s.endedAt ? formatMs(s.endedAt - s.startedAt) : null, s.reason]),
    ),
  );
  if (record.events.length > 0) {
    out.line('\nevents:');
    for (const event of record.events)
      out.line(`  ${new Date(event.at).toISOString().slice(11, 23)} ${event.type} ${JSON.stringify(event.data)}`);
  }
}
