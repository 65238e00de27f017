import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { join } from 'node:path';

const PEERS = ['express', 'koa', 'fastify', '@nestjs/core', 'express-jwt', 'jwks-rsa', 'express-oauth2-jwt-bearer', 'passport-jwt', 'koa-jwt', '@fastify/jwt', 'get-jwks', '@nestjs/passport', 'jose', 'autocannon', 'tinybench'];

function version(require, name) {
  try {
    return JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')).version;
  } catch {
    try {
      // Packages whose exports hide package.json: walk up from the entry point.
      let dir = require.resolve(name);
      for (let i = 0; i < 6; i++) {
        dir = join(dir, '..');
        try {
          const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
          if (pkg.name === name) return pkg.version;
        } catch { /* keep walking */ }
      }
    } catch { /* not installed */ }
    return 'n/a';
  }
}

function git(root, ...a) {
  try {
    return execFileSync('git', a, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

/** What the numbers were measured on, for the report header. */
export function machineInfo(root) {
  const require = createRequire(join(root, 'bench', 'package.json'));
  const cpus = os.cpus();
  const dirty = git(root, 'status', '--porcelain') !== '';
  return {
    cpu: `${cpus[0]?.model?.trim() ?? 'unknown'} × ${cpus.length}`,
    memoryGb: Math.round(os.totalmem() / 1024 ** 3),
    os: `${os.type()} ${os.release()} (${os.arch()})`,
    node: process.version,
    openssl: process.versions.openssl,
    loadNow: os.loadavg().map((l) => l.toFixed(2)).join(' '),
    commit: `${git(root, 'rev-parse', '--short', 'HEAD') || 'unknown'}${dirty ? ' + local changes' : ''}`,
    date: new Date().toISOString(),
    versions: Object.fromEntries(PEERS.map((p) => [p, version(require, p)])),
  };
}
