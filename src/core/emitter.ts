/**
 * A tiny typed event emitter that runs in browsers as well as Node (no node:events in L0/L1).
 * A listener that throws is reported to `onListenerError` instead of breaking the emitter's caller.
 * @module
 */

export type Listener<A extends unknown[]> = (...args: A) => void;

export class Emitter<Events extends { [K in keyof Events]: unknown[] }> {
  private listeners = new Map<keyof Events, Set<(...args: any[]) => void>>();
  /** `once` wrappers by event and original listener, so `off(event, original)` removes them. */
  private onceWrappers = new Map<keyof Events, Map<(...args: any[]) => void, (...args: any[]) => void>>();

  on<K extends keyof Events>(event: K, fn: Listener<Events[K]>): this {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(fn);
    return this;
  }

  /** Calls `fn` on the next `event` only; `off(event, fn)` removes it before that. */
  once<K extends keyof Events>(event: K, fn: Listener<Events[K]>): this {
    const wrapped = (...args: Events[K]) => {
      this.off(event, fn);
      fn(...args);
    };
    let wrappers = this.onceWrappers.get(event);
    if (!wrappers) this.onceWrappers.set(event, (wrappers = new Map()));
    const earlier = wrappers.get(fn);
    if (earlier) this.listeners.get(event)?.delete(earlier); // like `on`, a listener is registered once
    wrappers.set(fn, wrapped);
    return this.on(event, wrapped);
  }

  off<K extends keyof Events>(event: K, fn: Listener<Events[K]>): this {
    const set = this.listeners.get(event);
    set?.delete(fn);
    const wrappers = this.onceWrappers.get(event);
    const wrapped = wrappers?.get(fn);
    if (wrapped) {
      wrappers!.delete(fn);
      set?.delete(wrapped);
    }
    return this;
  }

  listenerCount<K extends keyof Events>(event: K): number {
    return this.listeners.get(event)?.size ?? 0;
  }

  protected emit<K extends keyof Events>(event: K, ...args: Events[K]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const fn of [...set]) {
      try {
        fn(...args);
      } catch (err) {
        this.onListenerError(err);
      }
    }
  }

  /** Called when a listener throws; subclasses route it to their `warning` event. */
  protected onListenerError(err: unknown): void {
    queueMicrotask(() => {
      throw err;
    });
  }
}
