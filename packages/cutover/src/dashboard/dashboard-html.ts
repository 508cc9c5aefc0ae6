import type { DeploymentRecord, EventRecord, StepRecord } from '../store/deployment-store.ts';
import type { HistoryRow, ServiceView, TaskView } from './dashboard-snapshot.ts';

/** Escapes text for HTML element content and attribute values. */
export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function formatMs(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

function formatBytes(bytes: number | null): string {
  return bytes === null ? '–' : `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

function time(ms: number | null): string {
  return ms === null
    ? '–'
    : `<time datetime="${new Date(ms).toISOString()}">${esc(new Date(ms).toISOString().replace('T', ' ').slice(0, 19))}</time>`;
}

function weightsText(weights: Record<string, number> | null): string {
  if (!weights) return 'even over healthy instances';
  return Object.entries(weights)
    .map(([release, percent]) => `${release} ${percent}%`)
    .join(' · ');
}

export function renderServices(services: readonly ServiceView[]): string {
  if (services.length === 0) return '<p>No service is deployed on this host yet.</p>';
  return services
    .map(
      (s) => `<article class="service" aria-labelledby="svc-${esc(s.service)}">
  <h3 id="svc-${esc(s.service)}">${esc(s.service)} <span class="muted">serving ${esc(s.serving ?? 'nothing')}</span></h3>
  <p>Traffic: <span data-weights="${esc(s.service)}">${esc(weightsText(s.weights))}</span>${
    s.running
      ? ` · <a href="#deployment-${s.running.id}" data-open="${s.running.id}">${esc(s.running.kind)} ${s.running.id} to ${esc(s.running.release)} running</a>`
      : ''
  }</p>
  <table><caption class="sr-only">Instances of ${esc(s.service)}</caption>
  <thead><tr><th scope="col">Instance</th><th scope="col">Release</th><th scope="col">Health</th><th scope="col">In pool</th><th scope="col">Restarts</th><th scope="col">Port</th><th scope="col">Uptime</th><th scope="col">CPU</th><th scope="col">Memory</th></tr></thead>
  <tbody>${s.instances
    .map(
      (i) =>
        `<tr><td>${esc(i.id)}</td><td>${esc(i.release)}</td><td><span class="state state-${esc(i.state)}">${esc(i.state)}</span>${
          i.failure ? ` <span class="muted">${esc(i.failure)}</span>` : ''
        }</td><td>${i.inPool ? 'yes' : 'no'}</td><td>${i.restarts}</td><td>${i.port ?? '–'}</td><td>${formatMs(i.uptimeMs)}</td><td>${
          i.cpuPercent === null ? '–' : `${i.cpuPercent}%`
        }</td><td>${formatBytes(i.rssBytes)}</td></tr>`,
    )
    .join('')}</tbody></table>
</article>`,
    )
    .join('\n');
}

/** One line of the rollout's own timeline (the canary's steps, pauses, signals), or null for events it does not show. */
function rolloutLine(event: EventRecord): string | null {
  const d = event.data;
  switch (event.type) {
    case 'rollout:step': {
      const what =
        d.setWeight !== undefined
          ? `set weight ${d.setWeight}%`
          : d.analysis !== undefined
            ? `analysis of ${(d.analysis as string[]).join(', ')}`
            : d.pauseMs
              ? `pause ${formatMs(d.pauseMs as number)}`
              : 'pause until promoted';
      return `step ${d.step}/${d.of}: ${what}`;
    }
    case 'rollout:paused':
      return `paused: waiting for ${d.waitingFor}`;
    case 'signal:received':
      return `${d.kind} from ${d.actor}`;
    case 'rollout:promoting':
      return `promoting ${d.release}`;
    case 'rollout:aborting':
      return `aborting (${d.by}): ${d.reason}`;
    case 'rollout:restoring':
      return `restoring ${d.release}`;
    case 'rollout:restored':
      return d.restored ? `${d.release} restored` : 'restore incomplete';
    case 'rollout:switched':
      return `switched ${d.from} → ${d.to}`;
    case 'batch:done':
      return `batch done`;
    case 'rollout:canary-starting':
      return `starting ${d.instances} canary instance(s) of ${d.release}`;
    case 'rollout:green-starting':
      return 'starting the green set';
    default:
      return null;
  }
}

function rolloutTimeline(record: DeploymentRecord, step: StepRecord): string {
  const lines = record.events
    .filter((e) => e.at >= step.startedAt && (step.endedAt === null || e.at <= step.endedAt))
    .flatMap((e) => {
      const line = rolloutLine(e);
      return line === null ? [] : [`<li>${time(e.at)} ${esc(line)}</li>`];
    });
  return lines.length ? `<ol class="substeps">${lines.slice(-40).join('')}</ol>` : '';
}

function stepDuration(step: StepRecord): string {
  return step.endedAt === null ? 'running' : formatMs(step.endedAt - step.startedAt);
}

/** The header and the timeline of steps of one deployment (the charts and measurements are drawn by the page from its events). */
export function renderDeployment(record: DeploymentRecord | undefined): string {
  if (!record) return '<p>No deployment is recorded yet.</p>';
  const running = record.state === 'running';
  const actions = `<div class="actions" role="group" aria-label="Actions on deployment ${record.id}">
    <button type="button" data-action="promote" ${running && record.facts.strategy !== 'rolling' ? '' : 'disabled'}>Promote</button>
    <button type="button" data-action="abort" class="danger" ${running ? '' : 'disabled'}>Abort</button>
    <button type="button" data-action="rollback" data-service="${esc(record.service)}" ${running ? 'disabled' : ''}>Roll back ${esc(record.service)}</button>
  </div>`;
  return `<div class="deployment" data-deployment="${record.id}" data-state="${esc(record.state)}" data-service="${esc(record.service)}">
  <h3>Deployment ${record.id}: ${esc(record.service)} ${esc(record.fromRelease ?? '(none)')} → ${esc(record.toRelease)}
    <span class="badge badge-${esc(record.state)}" id="deployment-state">${esc(record.state)}</span></h3>
  <p>${esc(record.kind)} by ${esc(record.actor)}, started ${time(record.startedAt)}${record.endedAt ? `, ended ${time(record.endedAt)} (${formatMs(record.endedAt - record.startedAt)})` : ''}${
    record.reason ? `: ${esc(record.reason)}` : ''
  }</p>
  ${actions}
  <h4>Steps</h4>
  <ol class="timeline">${record.steps
    .map(
      (step) =>
        `<li class="step step-${esc(step.outcome)}"><span class="step-name">${esc(step.name)}</span> <span class="badge badge-${esc(step.outcome)}">${esc(
          step.outcome,
        )}</span> <span class="muted">${stepDuration(step)}</span>${step.reason ? ` <span class="reason">${esc(step.reason)}</span>` : ''}${
          step.name === 'rollout' ? rolloutTimeline(record, step) : ''
        }</li>`,
    )
    .join('')}</ol>
</div>`;
}

export function renderHistory(rows: readonly HistoryRow[]): string {
  if (rows.length === 0) return '<p>No deployment yet.</p>';
  return `<table><caption class="sr-only">Past deployments</caption>
<thead><tr><th scope="col">Id</th><th scope="col">Service</th><th scope="col">Change</th><th scope="col">Outcome</th><th scope="col">Duration</th><th scope="col">By</th><th scope="col">Reason</th></tr></thead>
<tbody>${rows
    .map(
      (d) =>
        `<tr><td><a href="#deployment-${d.id}" data-open="${d.id}">${d.id}</a></td><td>${esc(d.service)}</td><td>${esc(d.kind)} ${esc(d.fromRelease ?? '–')} → ${esc(
          d.toRelease,
        )}</td><td><span class="badge badge-${esc(d.state)}">${esc(d.state)}</span></td><td>${formatMs(
          d.endedAt === null ? Date.now() - d.startedAt : d.endedAt - d.startedAt,
        )}</td><td>${esc(d.actor)}</td><td>${esc(d.reason ?? '')}</td></tr>`,
    )
    .join('')}</tbody></table>`;
}

export function renderTasks(tasks: readonly TaskView[]): string {
  if (tasks.length === 0) return '<p>No scheduled task.</p>';
  return `<table><caption class="sr-only">Scheduled tasks</caption>
<thead><tr><th scope="col">Service</th><th scope="col">Task</th><th scope="col">Schedule</th><th scope="col">Last run</th><th scope="col">Next run</th></tr></thead>
<tbody>${tasks
    .map(
      (t) =>
        `<tr><td>${esc(t.service)}</td><td>${esc(t.task)}</td><td><code>${esc(t.schedule)}</code></td><td>${
          t.lastRun
            ? `${time(t.lastRun.startedAt)} <span class="badge badge-${esc(t.lastRun.state)}">${esc(t.lastRun.state)}</span>`
            : 'never'
        }</td><td>${time(t.nextRunAt)}</td></tr>`,
    )
    .join('')}</tbody></table>`;
}

export interface PageParts {
  services: string;
  deployment: string;
  history: string;
  tasks: string;
  /** JSON for the page script: the events of the deployment shown, the instance ids for logs. */
  boot: unknown;
}

/** The whole page; its script (dashboard.js) keeps it live from the event stream. */
export function renderPage(parts: PageParts): string {
  const boot = JSON.stringify(parts.boot).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>cutover dashboard</title>
<link rel="stylesheet" href="/assets/uPlot.min.css"><link rel="stylesheet" href="/assets/dashboard.css">
</head><body>
<a class="skip" href="#main">Skip to the deployment</a>
<header><h1>cutover</h1><p id="connection" role="status" aria-live="polite">connecting…</p></header>
<main id="main" tabindex="-1">
<section aria-labelledby="h-deployment"><h2 id="h-deployment">Deployment</h2>
  <div id="deployment">${parts.deployment}</div>
  <h4 id="h-weights">Traffic weights</h4>
  <p>Now: <output id="current-weights" aria-labelledby="h-weights">–</output></p>
  <div id="weights-chart" class="chart" role="img" aria-label="Traffic weight per release over time"></div>
  <h4 id="h-analysis">Analysis</h4>
  <div id="analysis-chart" class="chart" role="img" aria-label="Analysis measurements over time"></div>
  <ul id="verdicts" aria-live="polite" aria-labelledby="h-analysis"></ul>
  <table id="measurements"><caption>Measurements</caption><thead><tr><th scope="col">Time</th><th scope="col">Metric</th><th scope="col">Value</th><th scope="col">Threshold</th><th scope="col">Verdict</th></tr></thead><tbody></tbody></table>
</section>
<section aria-labelledby="h-services"><h2 id="h-services">Services</h2><div id="services">${parts.services}</div></section>
<section aria-labelledby="h-history"><h2 id="h-history">History</h2><div id="history">${parts.history}</div></section>
<section aria-labelledby="h-tasks"><h2 id="h-tasks">Tasks</h2><div id="tasks">${parts.tasks}</div></section>
<section aria-labelledby="h-logs"><h2 id="h-logs">Instance logs</h2>
  <form id="logs-form" class="row">
    <label for="log-instance">Instance</label><select id="log-instance" name="instance"></select>
    <label for="log-filter">Filter</label><input id="log-filter" name="filter" type="search" placeholder="text to find">
    <button type="submit">Show</button>
    <input id="log-follow" type="checkbox"><label for="log-follow">Follow (every 2 s)</label>
  </form>
  <pre id="log-lines" tabindex="0" aria-label="Log lines"></pre>
</section>
</main>
<dialog id="confirm" aria-labelledby="confirm-title">
  <form method="dialog">
    <h2 id="confirm-title">Confirm</h2><p id="confirm-text"></p>
    <label for="confirm-actor">Your name (recorded with the action)</label>
    <input id="confirm-actor" name="actor" required autocomplete="name">
    <div class="row"><button value="cancel" type="submit" formnovalidate>Cancel</button><button value="ok" type="submit" id="confirm-ok" class="danger">Confirm</button></div>
  </form>
</dialog>
<script type="application/json" id="boot">${boot}</script>
<script src="/assets/uPlot.iife.min.js"></script><script src="/assets/dashboard.js"></script>
</body></html>`;
}
