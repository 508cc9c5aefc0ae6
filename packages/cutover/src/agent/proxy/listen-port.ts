import { createServer, type Server } from 'node:net';
import { CutoverError } from '../../errors/cutover-error.ts';

/**
 * Listening sockets per proxy port. libuv (Node 20 and later) accepts at most one connection per
 * listening socket and event-loop iteration. While the loop is busy forwarding keep-alive traffic,
 * a single socket lets new connections wait in the kernel's accept queue, and once that queue is
 * full their handshakes are dropped and retried a second later. Sockets bound with SO_REUSEPORT
 * share the port, the kernel spreads new connections over them, and each iteration accepts up to
 * this many. SO_REUSEPORT as Node uses it is Linux's; elsewhere the port has one socket.
 */
export const LISTENERS_PER_PORT = process.platform === 'linux' ? 4 : 1;

/**
 * Binds `count` servers made by `make` to one port and host; `port` 0 picks a free port for all of
 * them. A port something else holds is refused with CUT_ERR_AGENT_PORT_IN_USE (or _DENIED), also
 * when that is another process that shares ports: the port is first bound alone, without
 * SO_REUSEPORT, which fails while any socket listens there. Servers bound before a failure are closed.
 */
export async function listenGroup(
  make: () => Server,
  port: number,
  host: string,
  count = LISTENERS_PER_PORT,
): Promise<{ servers: Server[]; port: number }> {
  const first = make();
  if (count <= 1) return { servers: [first], port: await listenOn(first, port, host, false) };
  if (port !== 0) {
    const alone = createServer();
    await listenOn(alone, port, host, false);
    await close(alone);
  }
  const servers = [first];
  try {
    const bound = await listenOn(first, port, host, true);
    for (let i = 1; i < count; i++) {
      const server = make();
      servers.push(server);
      await listenOn(server, bound, host, true);
    }
    return { servers, port: bound };
  } catch (error) {
    await Promise.all(servers.map(close));
    throw error;
  }
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
}

function listenOn(server: Server, port: number, host: string, reusePort: boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => reject(portError(error, port, host));
    server.once('error', onError);
    server.listen({ port, host, reusePort }, () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    });
  });
}

function portError(error: NodeJS.ErrnoException, port: number, host: string): Error {
  if (error.code === 'EADDRINUSE') {
    return new CutoverError('CUT_ERR_AGENT_PORT_IN_USE', `port ${port} on ${host} is already in use`, {
      where: `${host}:${port}`,
      hint: `find the process with \`ss -ltnp 'sport = :${port}'\` and stop it, or set agent.httpPort / agent.httpsPort in cutover.yml to a free port`,
      details: { port, host },
      cause: error,
    });
  }
  if (error.code === 'EACCES') {
    return new CutoverError('CUT_ERR_AGENT_PORT_DENIED', `the agent may not listen on port ${port} on ${host}`, {
      where: `${host}:${port}`,
      hint: 'use a port above 1023, or grant the node binary CAP_NET_BIND_SERVICE (setcap cap_net_bind_service=+ep)',
      details: { port, host },
      cause: error,
    });
  }
  return error;
}
