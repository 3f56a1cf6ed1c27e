import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { LogChunkView, LogPage } from '../../shared/api-types.ts';
import type { ConsoleApi } from '../api/create-console-api.ts';
import { createLogModel } from './create-log-model.ts';

/** Lines loaded past which paging back stops (the raw download has the rest). */
export const maxLoadedLines = 1_500_000;

/**
 * A job's log (or one step's part of it) in the browser: its tail page first (bounded, however large the log), then live
 * chunks from the end, and earlier pages when `loadEarlier` is called (scrolling up).
 * Re-renders at most once per animation frame however fast chunks arrive.
 */
export function useJobLog(api: ConsoleApi, id: string, step?: number) {
  const model = useMemo(createLogModel, [id, step]);
  const [version, setVersion] = useState(0);
  const [hasEarlier, setHasEarlier] = useState(false);
  const [following, setFollowing] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const loadingEarlier = useRef(false);
  const frame = useRef(0);
  const changed = () => {
    if (!frame.current) frame.current = requestAnimationFrame(() => ((frame.current = 0), setVersion(model.version)));
  };

  useEffect(() => {
    const controller = new AbortController();
    const { signal } = controller;
    const showTail = (page: LogPage) => {
      model.reset(page.chunks, page.nextOffset);
      setHasEarlier(page.hasEarlier);
      changed();
    };
    const run = async () => {
      showTail(await api.logPage(id, undefined, signal, step));
      while (!signal.aborted) {
        const attempt = new AbortController();
        let ended = false;
        let gap = false;
        await api.followLog(id, model.nextOffset, (event, value) => {
          if (event === 'chunk') {
            if (!model.append(value as LogChunkView)) (gap = true), attempt.abort();
            changed();
          } else if (event === 'reset') showTail(value as LogPage);
          else if (event === 'end') ended = true;
        }, AbortSignal.any([signal, attempt.signal]), step).catch((e: unknown) => {
          if (!signal.aborted && !gap) setError(e);
        });
        if (ended || signal.aborted) break;
        if (gap) showTail(await api.logPage(id, undefined, signal, step));
        else await new Promise((r) => setTimeout(r, 1000));
      }
      setFollowing(false);
    };
    setFollowing(true);
    setError(null);
    run().catch((e: unknown) => !signal.aborted && setError(e));
    return () => controller.abort();
  }, [api, id, step]);

  /** Loads the page before the first loaded chunk. @returns the number of lines put in front */
  const loadEarlier = async (): Promise<number> => {
    if (loadingEarlier.current || !hasEarlier || model.lines.length > maxLoadedLines) return 0;
    loadingEarlier.current = true;
    try {
      const page = await api.logPage(id, model.firstOffset, undefined, step);
      const added = model.prepend(page.chunks);
      setHasEarlier(page.hasEarlier);
      setVersion(model.version);
      return added;
    } catch (e) {
      setError(e);
      return 0;
    } finally {
      loadingEarlier.current = false;
    }
  };

  return { model, version, hasEarlier, following, error, loadEarlier };
}
