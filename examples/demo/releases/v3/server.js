// A broken release: it never answers its health check, so cutover never routes to it.
import { serveDemo } from '../../demo-app.js';

serveDemo({ version: 'v3', neverReady: true });
