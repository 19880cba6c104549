#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so `npx mediagate` works straight from a checkout.
// libuv's threadpool is sized before anything uses it (scripts/local-entry.mjs says why), so tsx is
// imported only after.
process.env.UV_THREADPOOL_SIZE ??= '16';
const { register } = await import('tsx/esm/api');

register();
if (process.argv[2] === 'scan') {
  // `scan` skips the full CLI (commander, the local stack's modules): a text scan must start fast.
  const { runScanCommand } = await import('../cli/commands/scan.ts');
  process.exitCode = await runScanCommand(process.argv.slice(3));
  // OCR worker threads must not hold a finished command open.
  process.exit(process.exitCode ?? 0);
}
await import('../cli/main.ts');
