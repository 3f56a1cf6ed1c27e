import type { Logger } from '@jobmesh/logger';
import pg from 'pg';

/** Channels persistence NOTIFYs on; the payload is the job's request_id (log, job) or the workflow's name (workflow: it may be claimable). */
export const channels = { log: 'jobmesh_log', job: 'jobmesh_job', workflow: 'jobmesh_workflow' } as const;

/** A subscription to the notifications of one key. */
export interface Subscription {
  /**
   * Resolves at the next notification for the key (at once if one came since
   * the last call), after `timeoutMs` (a safety poll), or when `signal` aborts.
   * @returns true when a notification (or a reconnect) woke it
   */
  wait(timeoutMs: number, signal?: AbortSignal): Promise<boolean>;
  close(): void;
}

/** Fans Postgres notifications out to in-process subscribers by key. */
export interface NotificationHub {
  /** Subscribes to one key, or to several at once (any of them wakes it). */
  subscribe(key: string | readonly string[]): Subscription;
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
      await next.query(`LISTEN ${channels.log}; LISTEN ${channels.job}; LISTEN ${channels.workflow}`);
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
    subscribe(keyOrKeys) {
      const keys = [...new Set(typeof keyOrKeys === 'string' ? [keyOrKeys] : keyOrKeys)];
      const entry: { pending: boolean; wake?: () => void } = { pending: false };
      for (const key of keys) subscribers.set(key, (subscribers.get(key) ?? new Set()).add(entry));
      return {
        wait: (timeoutMs, signal) =>
          new Promise<boolean>((resolve) => {
            if (entry.pending || signal?.aborted) {
              const woken = entry.pending;
              entry.pending = false;
              return resolve(woken);
            }
            const finish = (woken: boolean) => {
              clearTimeout(timer);
              signal?.removeEventListener('abort', onAbort);
              entry.wake = undefined;
              entry.pending = false;
              resolve(woken);
            };
            const onAbort = () => finish(false);
            const timer = setTimeout(() => finish(false), timeoutMs);
            signal?.addEventListener('abort', onAbort, { once: true });
            entry.wake = () => finish(true);
          }),
        close: () => {
          for (const key of keys) {
            const set = subscribers.get(key);
            set?.delete(entry);
            if (set?.size === 0) subscribers.delete(key);
          }
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
