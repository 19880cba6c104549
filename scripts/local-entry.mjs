#!/usr/bin/env node
/**
 * Runs a TypeScript entry point that starts the local stack (`npm start`, `npm run bench`) through tsx,
 * with libuv's threadpool sized first.
 *
 * The local stack runs every Lambda, s3rver and dynalite in one process, and they share libuv's threadpool:
 * 4 threads by default, where sharp's image work, s3rver's file reads and writes and LevelDB's reads queue
 * behind each other. In AWS each Lambda sandbox has a pool of its own. libuv reads UV_THREADPOOL_SIZE once,
 * when the pool first starts, and loading TypeScript already uses the pool, so it is set here, before tsx
 * loads (bin/mediagate.js does the same). A value the caller set is kept.
 *
 *   node scripts/local-entry.mjs <entry.ts> [arguments…]
 */
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

process.env.UV_THREADPOOL_SIZE ??= '16';
const [entry, ...args] = process.argv.slice(2);
if (!entry) throw new Error('usage: node scripts/local-entry.mjs <entry.ts> [arguments…]');
// The entry sees its own path and arguments, as if tsx had run it.
process.argv = [process.argv[0] ?? 'node', path.resolve(entry), ...args];
const { register } = await import('tsx/esm/api');
register();
await import(pathToFileURL(path.resolve(entry)).href);
