import type { Command } from './command.ts';

/** A verb as --help lists it; its module (and everything it imports) loads only when it runs. */
export interface CommandEntry {
  name: string;
  summary: string;
  load(): Promise<Command>;
}

/** Every CLI verb, in the order --help lists them. Each verb lives in its own file; a test checks the summaries match. */
export const COMMANDS: CommandEntry[] = [
  {
    name: 'init',
    summary: 'write an annotated cutover.yml for the project in this directory',
    load: async () => (await import('./init.ts')).initCommand,
  },
  {
    name: 'up',
    summary: 'start the agent and, if nothing runs yet, deploy a first release',
    load: async () => (await import('./up.ts')).upCommand,
  },
  {
    name: 'deploy',
    summary: 'roll a release out with zero downtime, rolling back by itself on failure',
    load: async () => (await import('./deploy.ts')).deployCommand,
  },
  {
    name: 'watch',
    summary: 'follow a deployment (the running one, or the id given) and exit with its exit code',
    load: async () => (await import('./watch.ts')).watchCommand,
  },
  {
    name: 'status',
    summary: 'what serves now: release, instances and their health, traffic, the last deployment, the lock',
    load: async () => (await import('./status.ts')).statusCommand,
  },
  {
    name: 'rollback',
    summary: 'go back to the last good release (or the one named) through the same health-gated switch',
    load: async () => (await import('./rollback.ts')).rollbackCommand,
  },
  {
    name: 'promote',
    summary: 'move a paused canary or blue-green rollout on (--full: skip every remaining step)',
    load: async () => (await import('./promote.ts')).promoteCommand,
  },
  {
    name: 'abort',
    summary: 'stop a running deployment: every request back on the previous release (at once for canary and blue-green)',
    load: async () => (await import('./abort.ts')).abortCommand,
  },
  {
    name: 'history',
    summary: 'past deployments; with an id, every step, decision and value of one',
    load: async () => (await import('./history.ts')).historyCommand,
  },
  {
    name: 'k8s',
    summary: 'render the Kubernetes and Argo Rollouts manifests of cutover.yml (YAML, or a Helm chart)',
    load: async () => (await import('./k8s.ts')).k8sCommand,
  },
  {
    name: 'tasks',
    summary: 'scheduled tasks: each with its last and next run; run one now; their history',
    load: async () => (await import('./tasks.ts')).tasksCommand,
  },
  {
    name: 'run',
    summary: "run a one-off command in a release's directory and environment (default: the serving release), recorded",
    load: async () => (await import('./run.ts')).runCommand,
  },
  {
    name: 'env',
    summary: 'the env keys of each process type and where they come from; with a name, that one value',
    load: async () => (await import('./env.ts')).envCommand,
  },
  {
    name: 'dashboard',
    summary: 'open the live web dashboard (served by the controller on 127.0.0.1) and print its address with its token',
    load: async () => (await import('./dashboard.ts')).dashboardCommand,
  },
  {
    name: 'monitoring',
    summary: 'write a Prometheus scrape config, alert rules and a Grafana dashboard for the service of cutover.yml',
    load: async () => (await import('./monitoring.ts')).monitoringCommand,
  },
  {
    name: 'logs',
    summary: 'show (or follow) the output of the service instances',
    load: async () => (await import('./logs.ts')).logsCommand,
  },
  {
    name: 'down',
    summary: 'stop the service of cutover.yml (--agent: the agent and every service it runs too)',
    load: async () => (await import('./down.ts')).downCommand,
  },
  {
    name: 'migrate',
    summary: 'database migrations: status, plan, up, down, to <id>, lint, repair',
    load: async () => (await import('./migrate.ts')).migrateCommand,
  },
  {
    name: 'db',
    summary: 'database backups (backup, verify, restore; base-backup, recover --to TIME) and accessories',
    load: async () => (await import('./db.ts')).dbCommand,
  },
  {
    name: 'check',
    summary: 'run the pre-deploy checks of cutover.yml now (disk, load, memory, databases, HTTP, backups, commands)',
    load: async () => (await import('./check.ts')).checkCommand,
  },
  {
    name: 'controller',
    summary: 'run the controller (deployments, resumable) in the foreground; the agent starts it for you',
    load: async () => (await import('./controller.ts')).controllerCommand,
  },
  {
    name: 'agent',
    summary: 'run the agent (proxy + supervisor) in the foreground; "cutover up" starts it for you',
    load: async () => (await import('./agent.ts')).agentCommand,
  },
];
