import { createRequire } from 'node:module';

/**
 * `request` of node:http, loaded with require rather than an ES import. An ES import of a built-in
 * module reads every one of its exports, and node:http's WebSocket, MessageEvent and CloseEvent
 * getters then load Node's bundled undici: about 60 ms of CPU at every start of a CLI verb that only
 * talks to the agent or the controller over their sockets.
 */
export const { request } = createRequire(import.meta.url)('node:http') as typeof import('node:http');
