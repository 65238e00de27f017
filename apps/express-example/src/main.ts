import { fileURLToPath } from 'node:url';
import { reloadOnSignal } from '@restauth/core';
import { createApp } from './app.js';

const configPath = process.env['RESTAUTH_CONFIG'] ?? fileURLToPath(new URL('../restauth.config.json', import.meta.url));
const port = Number(process.env['PORT'] ?? 3000);
const { app, auth } = createApp(configPath);
// SIGHUP: reload RESTAUTH_CONFIG; an invalid file is refused (logged with its paths) and the old config stays.
reloadOnSignal(auth, configPath);
const host = process.env['HOST'] ?? '127.0.0.1';
const server = app.listen(port, host, () => {
  console.log(`express-example listening on http://${host}:${port}`);
});
const stop = () => server.close(() => void auth.close().then(() => process.exit(0)));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
