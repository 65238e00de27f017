import { defineConfig } from 'vitest/config';

// Each file starts every example app as a process: one file at a time keeps a 2-core machine responsive.
export default defineConfig({ test: { include: ['src/**/*.test.ts'], testTimeout: 30_000, hookTimeout: 180_000, fileParallelism: false } });
