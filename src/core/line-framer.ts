/**
 * Incremental line framing for byte streams (L0, pure; DESIGN §4 "Stream framing"):
 * `LineFramer` cuts text or UTF-8 bytes into lines with a length cap, `JsonLineFramer` reads one
 * JSON value per line on top of it (mpv's JSON IPC, the WebSocket bridge's line form).
 *
 * Both take chunks as they arrive (`push(chunk): Frame[]`): a line may span any number of
 * chunks and a chunk may hold any number of lines, split anywhere — even inside a UTF-8
 * sequence. Memory per framer is bounded by the cap whatever the peer sends: the rest of an
 * overlong line is dropped as it arrives, never stored. Nothing here throws on input.
 * @module
 */

/** Default cap of {@link LineFramer}, in UTF-16 code units: 64 KiB. */
export const DEFAULT_MAX_LINE_LENGTH = 64 * 1024;

/** Default cap of {@link JsonLineFramer}: 1 MiB (UTF-16 code units), room for mpv's largest property values. */
export const DEFAULT_MAX_JSON_LINE_LENGTH = 1024 * 1024;

/** What we use of `TextDecoder` (a global in browsers and Node, typed here without the DOM library). */
interface Utf8Decoder {
  decode(input?: Uint8Array, options?: { stream?: boolean }): string;
}

export type LineFrame = { kind: 'line'; text: string } | { kind: 'too-long' };

/**
 * Newline framing with a length cap. A line is the text before a `\n`, without a trailing `\r`
 * (CRLF is accepted). A line longer than `maxLength` (a trailing `\r` included) yields one
 * `too-long` frame as soon as the cap is passed; everything up to the next newline is then
 * dropped without being buffered. Bytes are decoded as UTF-8 (invalid sequences become U+FFFD);
 * feed a framer either strings or bytes, not both.
 * @example
 * const f = new LineFramer(1024);
 * f.push('status\nbpm 1'); // [{ kind: 'line', text: 'status' }]
 * f.push('20\n');          // [{ kind: 'line', text: 'bpm 120' }]
 */
export class LineFramer {
  private partial = '';
  private discarding = false;
  private decoder: Utf8Decoder | undefined;

  constructor(readonly maxLength = DEFAULT_MAX_LINE_LENGTH) {
    if (!Number.isInteger(maxLength) || maxLength < 1) {
      throw new RangeError(`maxLength must be an integer >= 1, got ${maxLength}`);
    }
  }

  /** Text received after the last newline (not yet a line). */
  get pending(): string {
    return this.partial;
  }

  /** True while the rest of an overlong line is being dropped. */
  get isDiscarding(): boolean {
    return this.discarding;
  }

  /** The lines completed by `chunk`, in order. Pure apart from the framer's own state. */
  push(chunk: string | Uint8Array): LineFrame[] {
    const text = typeof chunk === 'string' ? chunk : this.decode(chunk);
    const frames: LineFrame[] = [];
    let from = 0;
    for (;;) {
      const nl = text.indexOf('\n', from);
      this.append(text, from, nl < 0 ? text.length : nl, frames);
      if (nl < 0) break;
      if (!this.discarding) frames.push({ kind: 'line', text: stripCr(this.partial) });
      this.partial = '';
      this.discarding = false;
      from = nl + 1;
    }
    return frames;
  }

  /**
   * Ends the pending partial line as if a newline had arrived (end of stream, or a protocol
   * that runs a line after a quiet pause). Returns its frame, if any.
   */
  flush(): LineFrame | undefined {
    // An incomplete UTF-8 sequence belongs to the line being ended (it becomes U+FFFD).
    const rest = this.decoder?.decode() ?? '';
    if (rest.length > 0) this.append(rest, 0, rest.length, []);
    const text = this.partial;
    const wasDiscarding = this.discarding;
    this.partial = '';
    this.discarding = false;
    if (wasDiscarding || text.length === 0) return undefined;
    return { kind: 'line', text: stripCr(text) };
  }

  /** Forgets the partial line (the peer went away mid-line). */
  reset(): void {
    this.partial = '';
    this.discarding = false;
    this.decoder = undefined;
  }

  private decode(bytes: Uint8Array): string {
    this.decoder ??= new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
    return this.decoder.decode(bytes, { stream: true });
  }

  /** Appends `text[from, to)` to the partial line, or starts discarding when it would pass the cap. */
  private append(text: string, from: number, to: number, frames: LineFrame[]): void {
    if (this.discarding || to <= from) return;
    if (this.partial.length + (to - from) > this.maxLength) {
      this.partial = '';
      this.discarding = true;
      frames.push({ kind: 'too-long' });
      return;
    }
    this.partial += text.slice(from, to);
  }
}

function stripCr(s: string): string {
  return s.endsWith('\r') ? s.slice(0, -1) : s;
}

// ------------------------------------------------------------------------------------------
// JSON lines

/** Why a line gave no value: over the cap, or not JSON. */
export interface JsonFrameError {
  kind: 'error';
  reason: 'too-long' | 'parse';
  /** For a log: what was wrong, with the start of the line (at most 64 characters, control characters masked). */
  message: string;
}

export type JsonFrame = { kind: 'value'; value: unknown } | JsonFrameError;

/**
 * One JSON value per line (JSON Lines / mpv's IPC): each non-blank line is parsed on its own.
 * A line that does not parse, or passes `maxLength`, gives an `error` frame — never an
 * exception — and framing goes on with the next line. Blank lines are skipped. Values are plain
 * `JSON.parse` results: check their shape before trusting them (DESIGN §4).
 * @example
 * const f = new JsonLineFramer();
 * f.push('{"event":"pause"}\n{"request_id":1,"error":"success"}\n');
 * // [{ kind: 'value', value: { event: 'pause' } }, { kind: 'value', value: { request_id: 1, error: 'success' } }]
 */
export class JsonLineFramer {
  private readonly lines: LineFramer;

  constructor(readonly maxLength = DEFAULT_MAX_JSON_LINE_LENGTH) {
    this.lines = new LineFramer(maxLength);
  }

  /** The values (and errors) completed by `chunk`, in order. */
  push(chunk: string | Uint8Array): JsonFrame[] {
    const out: JsonFrame[] = [];
    for (const frame of this.lines.push(chunk)) {
      const json = this.toJson(frame);
      if (json) out.push(json);
    }
    return out;
  }

  /** Parses a last line that had no newline (end of stream). */
  flush(): JsonFrame | undefined {
    const frame = this.lines.flush();
    return frame ? this.toJson(frame) : undefined;
  }

  /** Forgets the partial line. */
  reset(): void {
    this.lines.reset();
  }

  private toJson(frame: LineFrame): JsonFrame | undefined {
    if (frame.kind === 'too-long') {
      return { kind: 'error', reason: 'too-long', message: `line longer than ${this.maxLength} characters dropped` };
    }
    if (frame.text.trim().length === 0) return undefined;
    try {
      return { kind: 'value', value: JSON.parse(frame.text) as unknown };
    } catch (err) {
      // SyntaxError, or a RangeError for absurd nesting: either way the line is not a value.
      // The engine's message quotes the input: it is masked and cut like the line itself.
      const why = err instanceof Error ? err.message : String(err);
      return { kind: 'error', reason: 'parse', message: `not JSON (${excerpt(why)}): ${excerpt(frame.text)}` };
    }
  }
}

/** The start of a line, safe to print: control characters masked, at most 64 characters. */
function excerpt(text: string): string {
  const clean = text.slice(0, 64).replace(/[\u0000-\u001f\u007f]/g, '?');
  return text.length > 64 ? `${clean}…` : clean;
}

/**
 * One JSON value as one line, newline included. `JSON.stringify` escapes every newline inside
 * strings, so the line cannot be split by its content. Throws TypeError for what JSON cannot
 * represent (undefined, a function, a BigInt, a cycle). Pure.
 * @example encodeJsonLine({ command: ['get_property', 'pause'], request_id: 1 }) // '{"command":[…],"request_id":1}\n'
 */
export function encodeJsonLine(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) throw new TypeError(`encodeJsonLine: ${typeof value} has no JSON form`);
  return `${text}\n`;
}
