/**
 * Property observations of an `MpvClient` (L1): ids of ours for `observe_property`, made again
 * after each reconnection, undone with `unobserve_property`; values checked against the
 * property's known type before an observer sees them. Also the command encoder.
 * @module
 */
import { PhaselockError, toError, type PhaselockErrorCode } from '../core/errors.ts';
import { excerpt, isPropertyValue, type MpvPropertyChange } from './mpv-protocol.ts';

/** One `observeProperty`: `dispose()` (or `using`) ends it. */
export interface MpvObservation extends Disposable {
  /** The id given to mpv's `observe_property`. */
  readonly id: number;
  readonly name: string;
  /** False once disposed (or the client closed). */
  readonly active: boolean;
  /**
   * Stops observing: the observer hears nothing more, and mpv is sent `unobserve_property` when
   * connected. Resolves once mpv acknowledged it (at once when not connected); never rejects.
   */
  dispose(): Promise<void>;
}

export interface ObserversHost {
  send(command: readonly unknown[]): Promise<unknown>;
  connected(): boolean;
  warn(code: PhaselockErrorCode, message: string): void;
}

interface Observer {
  id: number;
  name: string;
  fn: (value: unknown, name: string) => void;
}

/** Observation ids stay within a C int (mpv's `observe_property` takes an int64; older builds an int). */
const MAX_OBSERVE_ID = 0x7fff_ffff;

export class MpvObservers {
  private readonly table = new Map<number, Observer>();
  private nextId = 1;

  constructor(readonly maxObservers: number, private readonly host: ObserversHost) {}

  get size(): number {
    return this.table.size;
  }

  /** Registers; sends `observe_property` now when connected (else on connection). */
  add(name: string, fn: (value: unknown, name: string) => void): MpvObservation {
    if (this.table.size >= this.maxObservers) {
      throw new PhaselockError('E_STATE', `mpv: observeProperty ${name}: ${this.maxObservers} observations already`);
    }
    const o: Observer = { id: this.allocate(), name, fn };
    this.table.set(o.id, o);
    if (this.host.connected()) this.observe(o);
    const table = this.table;
    const dispose = (): Promise<void> => this.remove(o);
    return {
      id: o.id,
      name,
      get active() { return table.get(o.id) === o; },
      dispose,
      [Symbol.dispose]: () => void dispose(),
    };
  }

  /** After a (re)connection: every observation is made again; mpv answers each with the current value. */
  observeAll(): void {
    for (const o of this.table.values()) this.observe(o);
  }

  /** Hands a `property-change` to its observer (the id and the name must both match). */
  deliver(change: MpvPropertyChange): void {
    const o = this.table.get(change.id);
    if (!o || o.name !== change.name) return;
    let value = change.data;
    if (value !== undefined && !isPropertyValue(o.name, value)) {
      this.host.warn('E_PROTOCOL', `mpv: property ${o.name} has an unexpected value ${excerpt(String(JSON.stringify(value)))}; passed on as unavailable`);
      value = undefined;
    }
    try {
      o.fn(value, o.name);
    } catch (err) {
      this.host.warn('E_STATE', `mpv: the observer of ${o.name} threw: ${toError(err).message}`);
    }
  }

  /** Forgets every observation (the client closed; mpv drops them with the connection). */
  clear(): void {
    this.table.clear();
  }

  private remove(o: Observer): Promise<void> {
    if (this.table.get(o.id) !== o) return Promise.resolve();
    this.table.delete(o.id);
    if (!this.host.connected()) return Promise.resolve();
    return this.host.send(['unobserve_property', o.id]).then(() => undefined, (err: unknown) => this.failed(err));
  }

  private observe(o: Observer): void {
    this.host.send(['observe_property', o.id, o.name]).catch((err: unknown) => this.failed(err));
  }

  /** A failed (un)observe: lost connections and closing are expected (redone on reconnection). */
  private failed(err: unknown): void {
    if (err instanceof PhaselockError && (err.code === 'E_CLOSED' || err.code === 'E_UNAVAILABLE')) return;
    const e = toError(err);
    this.host.warn(err instanceof PhaselockError ? err.code : 'E_STATE', e.message);
  }

  private allocate(): number {
    for (;;) {
      const id = this.nextId;
      this.nextId = id >= MAX_OBSERVE_ID ? 1 : id + 1;
      if (!this.table.has(id)) return id;
    }
  }
}

/**
 * The JSON text of a command (`[name, ...args]`). Throws TypeError for what mpv's JSON cannot
 * carry — an empty command, a name that is not a string, undefined, functions, symbols,
 * BigInts, cycles — and RangeError for NaN and infinities (JSON would turn them into null). Pure.
 */
export function encodeMpvCommand(command: readonly unknown[]): string {
  if (!Array.isArray(command) || command.length === 0) throw new TypeError('an mpv command is a non-empty array: [name, ...args]');
  if (typeof command[0] !== 'string' || command[0].length === 0) throw new TypeError('an mpv command starts with its name, a non-empty string');
  command.forEach((arg: unknown, i) => {
    const t = typeof arg;
    if (arg === undefined || t === 'function' || t === 'symbol' || t === 'bigint') {
      throw new TypeError(`mpv command ${command[0]}: argument ${i} is ${t}, which JSON cannot carry`);
    }
    if (t === 'number' && !Number.isFinite(arg)) throw new RangeError(`mpv command ${command[0]}: argument ${i} must be a finite number, got ${String(arg)}`);
  });
  try {
    return JSON.stringify(command);
  } catch (err) {
    throw new TypeError(`mpv command ${command[0]} has no JSON form: ${toError(err).message}`, { cause: err });
  }
}
