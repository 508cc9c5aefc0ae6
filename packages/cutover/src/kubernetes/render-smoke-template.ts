import type { SmokeCheckConfig } from '../config/schema-rollout.ts';
import { type Manifest, metadata, type RenderContext, routedType } from './render-context.ts';

/**
 * The blue-green smoke checks as an AnalysisTemplate of Job metrics: each check is a curl against
 * the preview Service (which only the new ReplicaSet backs before promotion), with its attempts,
 * retry delay, expected statuses and body text. A Job that exits non-zero fails the analysis.
 */
export function renderSmokeTemplate(ctx: RenderContext, name: string, checks: SmokeCheckConfig[], previewService: string): Manifest {
  const base = `http://${previewService}.${ctx.k8s.namespace}.svc:${ctx.k8s.service.port}`;
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AnalysisTemplate',
    metadata: metadata(ctx, name, routedType(ctx.config)),
    spec: {
      metrics: checks.map((check, index) => ({
        name: metricName(check, index),
        count: 1,
        failureLimit: 0,
        provider: {
          job: {
            spec: {
              backoffLimit: 0,
              template: {
                spec: {
                  restartPolicy: 'Never',
                  containers: [{ name: 'smoke', image: ctx.k8s.smokeCheckImage, command: ['/bin/sh', '-c', smokeScript(check, base)] }],
                },
              },
            },
          },
        },
      })),
    },
  };
}

function metricName(check: SmokeCheckConfig, index: number): string {
  const raw = (check.name ?? `${check.method} ${check.path}`).toLowerCase().replace(/[^a-z0-9.-]+/g, '-');
  return `smoke-${index + 1}-${raw}`.slice(0, 63).replace(/-+$/, '');
}

/** One POSIX sh script per check: no value of cutover.yml reaches the shell unquoted. */
export function smokeScript(check: SmokeCheckConfig, base: string): string {
  const curl = [
    'curl',
    '-sS',
    '-o',
    '/tmp/body',
    '-w',
    quote('%{http_code}'),
    '--max-time',
    String(Math.max(1, Math.ceil(check.timeoutMs / 1000))),
    '-X',
    quote(check.method),
    ...Object.entries(check.headers).flatMap(([key, value]) => ['-H', quote(`${key}: ${value}`)]),
    ...(check.body === undefined ? [] : ['--data-binary', quote(check.body)]),
    quote(`${base}${check.path}`),
  ].join(' ');
  const statusOk =
    check.expectStatus === undefined
      ? '[ "$code" -ge 200 ] && [ "$code" -le 299 ]'
      : `case "$code" in ${check.expectStatus.join('|')}) true ;; *) false ;; esac`;
  const bodyOk = check.bodyIncludes === undefined ? '' : ` && grep -qF -- ${quote(check.bodyIncludes)} /tmp/body`;
  const delay = Math.max(0, Math.ceil(check.retryDelayMs / 1000));
  return [
    `i=0; while [ "$i" -lt ${check.attempts} ]; do`,
    `  i=$((i+1)); code=$(${curl}) || code=000`,
    `  if ${statusOk}${bodyOk}; then echo "passed: $code"; exit 0; fi`,
    `  echo "attempt $i: status $code"; [ "$i" -lt ${check.attempts} ] && sleep ${delay}`,
    'done; exit 1',
  ].join('\n');
}

function quote(value: string): string {
  return `'${value.replaceAll("'", `'"'"'`)}'`;
}
