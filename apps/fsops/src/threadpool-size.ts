/**
 * Imported first by main.ts, before anything touches the libuv threadpool
 * (it reads UV_THREADPOOL_SIZE once, when it starts). Every fs call of fsops
 * runs on that pool; the default 4 threads would cap concurrent copies of
 * small files (and their hashing reads, renames and fsyncs) at 4 syscalls in
 * flight. An explicit UV_THREADPOOL_SIZE in the environment wins.
 */
export const fsopsThreadpoolSize = 16;

if (!process.env.UV_THREADPOOL_SIZE) process.env.UV_THREADPOOL_SIZE = String(fsopsThreadpoolSize);
