import { serveDemo } from '../../demo-app.js';

serveDemo({ version: 'v1', bootDelayMs: 200 });
