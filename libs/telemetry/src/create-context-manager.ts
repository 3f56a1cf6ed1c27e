import { AsyncLocalStorage } from 'node:async_hooks';
import { ROOT_CONTEXT, type Context, type ContextManager } from '@opentelemetry/api';

/**
 * The active OpenTelemetry context kept in an AsyncLocalStorage, so it follows promises,
 * timers and callbacks: what @opentelemetry/context-async-hooks does, in the few lines the
 * services need (functions are bound; event emitters are not).
 */
export function createContextManager(): ContextManager {
  let storage = new AsyncLocalStorage<Context>();
  const manager: ContextManager = {
    active: () => storage.getStore() ?? ROOT_CONTEXT,
    with: (ctx, fn, thisArg, ...args) => storage.run(ctx, () => fn.call(thisArg, ...args)),
    bind<T>(ctx: Context, target: T): T {
      if (typeof target !== 'function') return target;
      const fn = target as unknown as (...args: unknown[]) => unknown;
      return function (this: unknown, ...args: unknown[]) {
        return manager.with(ctx, () => fn.apply(this, args));
      } as unknown as T;
    },
    enable: () => manager,
    disable() {
      storage.disable();
      storage = new AsyncLocalStorage<Context>();
      return manager;
    },
  };
  return manager;
}
