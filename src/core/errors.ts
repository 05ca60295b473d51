/**
 * One base error with a stable `code` for every failure phaselock reports.
 * @module
 */

/** Stable error codes; compare `err.code`, never the message. */
export type PhaselockErrorCode =
  | 'E_DECODE'
  | 'E_PROTOCOL'
  | 'E_TIMEOUT'
  | 'E_CLOSED'
  | 'E_SOCKET'
  | 'E_UNAVAILABLE'
  | 'E_STATE';

export class PhaselockError extends Error {
  readonly code: PhaselockErrorCode;
  constructor(code: PhaselockErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PhaselockError';
    this.code = code;
  }
}

/** Thrown by every decoder (and only by decoders) for bytes that do not parse. */
export class DecodeError extends PhaselockError {
  /** Byte offset in the input where decoding failed. */
  readonly offset: number;
  constructor(message: string, offset: number, options?: { cause?: unknown }) {
    super('E_DECODE', `${message} (at offset ${offset})`, options);
    this.name = 'DecodeError';
    this.offset = offset;
  }
}

/** Wraps any thrown value into an Error (receive paths report, never throw). */
export function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
