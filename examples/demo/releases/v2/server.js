import { serveDemo } from '../../demo-app.js';

serveDemo({ version: 'v2', bootDelayMs: 200 });
