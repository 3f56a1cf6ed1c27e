/**
 * A suite hook that prints its error before rethrowing it: uvu 0.5 runs no test of a suite whose
 * `before` threw and says nothing of why.
 */
export function loudHook<C>(hook: (context: C) => Promise<void>): (context: C) => Promise<void> {
  return async (context) => {
    try {
      await hook(context);
    } catch (error) {
      process.stderr.write(`\nsuite hook failed: ${error instanceof Error ? error.stack : String(error)}\n`);
      throw error;
    }
  };
}
