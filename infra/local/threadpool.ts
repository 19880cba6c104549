/**
 * The local stack runs every Lambda, s3rver and dynalite in one process, and they share libuv's threadpool:
 * 4 threads by default, where sharp's image work, s3rver's file reads and writes and LevelDB's reads all
 * queue behind each other. In AWS each Lambda sandbox has a pool of its own. A bigger pool here gives the
 * local stack what the deployment has (measured: 4 misses at a time through `POST /v1/analyze` went from
 * 890 ms to 700 ms at p50 on 2 cores); idle threads cost nothing.
 *
 * libuv reads the variable once, when the pool first starts, so this module is imported first by every
 * entry point that starts the local stack (cli/main.ts, bench/run.ts), before any file or image work. A
 * value the caller set is kept.
 */
export const LOCAL_THREADPOOL_SIZE = 16;

process.env.UV_THREADPOOL_SIZE ??= String(LOCAL_THREADPOOL_SIZE);
