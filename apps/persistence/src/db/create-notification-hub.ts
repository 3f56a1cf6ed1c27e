import type { Logger } from '@jobmesh/logger';
import pg from 'pg';

/** Channels persistence NOTIFYs on; the payload is the job's request_id. */
export const channels = { log: 'jobmesh_log', job: 'jobmesh_job' } as const;

/** A subscription to the notifications of one key. */
export interface Subscription {
  /**
   * Resolves at the next notification for the key (at once if one came since
   * the last call), after `timeoutMs` (a safety poll), or when `signal` aborts.
   */
  wait(timeoutMs: number, signal?: AbortSignal): Promise<void>;
  close(): void;
}

/** Fans Postgres notifications out to in-process subscribers by key. */
export interface NotificationHub {
  subscribe(key: string): Subscription;
  close(): Promise<void>;
}

/**
 * One LISTEN connection per process for every follower. It reconnects with
 * backoff when Postgres goes away; on reconnect every subscriber is woken,
 * since notifications sent while disconnected are lost and must be re-read.
 */
export function createNotificationHub(databaseUrl: string, logger: Logger): NotificationHub {
  const subscribers = new Map<string, Set<{ pending: boolean; wake?: () => void }>>();
  let client: pg.Client | undefined;
  let closed = false;
  let backoffMs = 100;

  const wake = (key?: string) => {
    const sets = key === undefined ? [...subscribers.values()] : [subscribers.get(key)].filter((s) => s !== undefined);
    for (const set of sets) for (const s of set) (s.pending = true), s.wake?.();
  };

  let retry: NodeJS.Timeout | undefined;
  const scheduleReconnect = () => {
    if (closed || retry) return;
    retry = setTimeout(() => ((retry = undefined), void connect()), backoffMs);
  };

  const connect = async (): Promise<void> => {
    if (closed) return;
    const next = new pg.Client({ connectionString: databaseUrl });
    next.on('error', (error) => logger.warn('notification connection failed', { error }));
    next.on('end', () => {
      if (client === next) client = undefined;
      scheduleReconnect();
    });
    next.on('notification', (message) => wake(message.payload));
    try {
      await next.connect();
      await next.query(`LISTEN ${channels.log}; LISTEN ${channels.job}`);
      client = next;
      backoffMs = 100;
      wake();
    } catch (error) {
      backoffMs = Math.min(backoffMs * 2, 5000);
      logger.warn('cannot listen for notifications; retrying', { error, retryInMs: backoffMs });
      await next.end().catch(() => undefined);
      scheduleReconnect();
    }
  };
  void connect();

  return {
    subscribe(key) {
      const entry: { pending: boolean; wake?: () => void } = { pending: false };
      const set = subscribers.get(key) ?? new Set();
      subscribers.set(key, set.add(entry));
      return {
        wait: (timeoutMs, signal) =>
          new Promise<void>((resolve) => {
            if (entry.pending || signal?.aborted) return resolve((entry.pending = false, undefined));
            const done = () => {
              clearTimeout(timer);
              signal?.removeEventListener('abort', done);
              entry.wake = undefined;
              entry.pending = false;
              resolve();
            };
            const timer = setTimeout(done, timeoutMs);
            signal?.addEventListener('abort', done, { once: true });
            entry.wake = done;
          }),
        close: () => {
          set.delete(entry);
          if (set.size === 0) subscribers.delete(key);
        },
      };
    },
    async close() {
      closed = true;
      clearTimeout(retry);
      wake();
      await client?.end().catch(() => undefined);
    },
  };
}
