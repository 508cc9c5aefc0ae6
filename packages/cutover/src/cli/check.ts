import { summarizeResults } from '../checks/check-result.ts';
import { runChecks, type SkipRequest } from '../checks/run-checks.ts';
import { loadConfig } from '../config/load-config.ts';
import { CutoverError } from '../errors/cutover-error.ts';
import type { Command } from './command.ts';
import { formatTable } from './table.ts';

export const checkCommand: Command = {
  name: 'check',
  summary: 'run the pre-deploy checks of cutover.yml now (disk, load, memory, databases, HTTP, backups, commands)',
  usage: 'cutover check [--skip <name>=<reason>]... [--json]',
  description: [
    'Runs every check of the `checks:` section, as a deploy would, and prints each result.',
    'current-release-healthy and deploy-lock-free are evaluated only during "cutover deploy"; here they are skipped.',
    'Exits 0 when nothing failed, 1 otherwise. See docs/checks.md.',
  ].join('\n'),
  options: {
    skip: { type: 'string', multiple: true, help: 'skip a check by name, with a reason: --skip "disk:/=cleanup running"' },
  },
  exitCodes: { 1: 'a check failed' },
  async run({ options, out, cwd }) {
    const loaded = loadConfig(cwd, options.config as string | undefined);
    const skip = parseSkips((options.skip as string[] | undefined) ?? []);
    const specs = loaded.config.checks ?? [];
    if (specs.length === 0) {
      out.result({ checks: [], passed: 0, failed: 0, skipped: 0 });
      out.line(`${loaded.file} declares no checks (add a checks: section; see docs/checks.md)`);
      return 0;
    }
    const step = out.step(`running ${specs.length} check${specs.length === 1 ? '' : 's'}`);
    const results = await runChecks(loaded, specs, { skip, missingProbe: 'skip' });
    const { passed, failed, skipped, summary } = summarizeResults(results);
    if (failed > 0) step.fail(`${failed} failed`);
    else step.done(`${passed} passed, ${skipped} skipped`);
    if (failed === 0) out.result({ checks: results, passed, failed, skipped });
    out.line(
      formatTable(
        ['CHECK', 'KIND', 'RESULT', 'TOOK', 'DETAIL'],
        results.map((r) => [r.name, r.kind, r.outcome, `${r.durationMs}ms`, r.message]),
      ),
    );
    if (failed === 0) return 0;
    const error = new CutoverError('CUT_ERR_CHECK_FAILED', summary, {
      hint: 'fix what the failed checks report, or skip one on purpose: --skip <name>=<reason>',
      details: { failed: results.filter((r) => r.outcome === 'fail').map((r) => r.name) },
    });
    return out.failure({ checks: results, passed, failed, skipped }, error);
  },
};

/** "--skip name=reason": the reason is required, so every skip in a record says why. */
export function parseSkips(values: readonly string[]): SkipRequest[] {
  return values.map((value) => {
    const at = value.indexOf('=');
    const name = at === -1 ? value : value.slice(0, at).trim();
    const reason = at === -1 ? '' : value.slice(at + 1).trim();
    if (!name || !reason) {
      throw new CutoverError('CUT_ERR_CLI_BAD_ARGUMENT', `--skip "${value}" needs a name and a reason`, {
        hint: 'write --skip "<check name>=<why it is safe to skip>"',
      });
    }
    return { name, reason };
  });
}
