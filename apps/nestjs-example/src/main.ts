import 'reflect-metadata';
import { fileURLToPath } from 'node:url';
import { reloadOnSignal } from '@restauth/core';
import { createApp, type Platform } from './app.js';

const configPath = process.env['RESTAUTH_CONFIG'] ?? fileURLToPath(new URL('../restauth.config.json', import.meta.url));
const port = Number(process.env['PORT'] ?? 3000);
const host = process.env['HOST'] ?? '127.0.0.1';
const platform = (process.env['PLATFORM'] ?? 'express') as Platform;
const { app, auth } = await createApp(platform, configPath);
// SIGHUP: reload RESTAUTH_CONFIG; an invalid file is refused (logged with its paths) and the old config stays.
reloadOnSignal(auth, configPath);
await app.listen(port, host);
console.log(`nestjs-example listening on http://${host}:${port}`);
// app.close() closes the server, then RestAuthModule closes the instance it built.
const stop = () => void app.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
