/** A program and its arguments, ready for runProcess. Builders return these; executors run them. */
export interface CommandSpec {
  command: string;
  args: string[];
}

/** PostgreSQL refuses to run as root: as root, run its programs as the postgres user through runuser. */
export function buildRunAs(spec: CommandSpec, euid: number, user = 'postgres'): CommandSpec {
  if (euid !== 0) return spec;
  return { command: 'runuser', args: ['-u', user, '--', spec.command, ...spec.args] };
}

export interface InitdbOptions {
  initdb: string;
  pgdata: string;
  /** File whose first line is the superuser password (read by initdb, then deleted). */
  passwordFile: string;
}

/** A cluster that only accepts password logins over TCP (no unix socket is opened, see the config lines). */
export function buildInitdbCommand(options: InitdbOptions): CommandSpec {
  return {
    command: options.initdb,
    args: [
      `--pgdata=${options.pgdata}`,
      '--username=postgres',
      `--pwfile=${options.passwordFile}`,
      '--auth-host=scram-sha-256',
      '--auth-local=scram-sha-256',
      '--encoding=UTF8',
      '--locale=C',
      '--no-instructions',
    ],
  };
}

/** Lines appended to postgresql.conf: loopback only, and no unix socket whose path length or directory could fail. */
export const PRIVATE_POSTGRES_CONF = ["listen_addresses = '127.0.0.1'", "unix_socket_directories = ''", 'max_connections = 50'];

export interface PgCtlStartOptions {
  pgCtl: string;
  pgdata: string;
  logFile: string;
  port: number;
  timeoutMs: number;
}

/** pg_ctl start, waiting until the server accepts connections. The port is given per start, so a restart can move it. */
export function buildPgCtlStartCommand(options: PgCtlStartOptions): CommandSpec {
  return {
    command: options.pgCtl,
    args: [
      'start',
      `--pgdata=${options.pgdata}`,
      `--log=${options.logFile}`,
      `--options=-p ${options.port}`,
      '--wait',
      `--timeout=${Math.max(1, Math.ceil(options.timeoutMs / 1000))}`,
    ],
  };
}

/** pg_ctl stop in fast mode: roll back open transactions, disconnect clients, shut down cleanly. */
export function buildPgCtlStopCommand(pgCtl: string, pgdata: string, timeoutMs: number): CommandSpec {
  return {
    command: pgCtl,
    args: ['stop', `--pgdata=${pgdata}`, '--mode=fast', '--wait', `--timeout=${Math.max(1, Math.ceil(timeoutMs / 1000))}`],
  };
}

export interface RedisConfOptions {
  dir: string;
  port: number;
  password: string;
}

/**
 * redis.conf of a private server: loopback only, a password, daemonized with a pid file, data in an
 * append-only file in its own directory. A file (mode 0600) rather than argv keeps the password out of ps.
 */
export function buildRedisConf(options: RedisConfOptions): string {
  return [
    `port ${options.port}`,
    'bind 127.0.0.1',
    'protected-mode yes',
    `dir "${options.dir}"`,
    'daemonize yes',
    `pidfile "${options.dir}/redis.pid"`,
    `logfile "${options.dir}/redis.log"`,
    `requirepass "${options.password}"`,
    'appendonly yes',
    'save ""',
    '',
  ].join('\n');
}
