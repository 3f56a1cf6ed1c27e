import { useState } from 'preact/hooks';

/**
 * Runs a page's actions one at a time: `busy` while one runs (its buttons disabled), `error`
 * what the last one threw (cleared when the next starts). @returns whether the action succeeded
 */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = async (action: () => Promise<unknown>): Promise<boolean> => {
    setBusy(true);
    setError(null);
    try {
      await action();
      return true;
    } catch (e) {
      setError(e);
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run };
}
