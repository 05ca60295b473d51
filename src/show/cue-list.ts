/**
 * Cue lists (L0): "at bar/beat X do Y" for a show of more than one video — load a file, seek,
 * pause, play, set an mpv property, run any mpv command — parsed from JSON and validated with
 * one clear problem per bad entry (its index, its line in the text, what is wrong), so a show
 * box refuses a broken list at start-up rather than on stage. Pure; no file system here: pass
 * `fileExists` to have files checked (the CLI does).
 *
 * Format (JSON here; the same in YAML: cue-list-yaml.ts):
 * ```json
 * { "bpm": 120, "beatsPerBar": 4, "cues": [
 *   { "at": "1.1", "do": "load", "file": "act1.mp4" },
 *   { "at": "9.1", "do": "load", "file": "act2.mp4", "offset": 2.5 },
 *   { "at": "17.3", "do": "set", "property": "volume", "value": 50 },
 *   { "at": 96, "do": "command", "command": ["show-text", "Finale", 2000] }
 * ] }
 * ```
 * A bare array of cues is accepted too. `at` is `"bar.beat"` (1-based, as a DAW counts;
 * `"bar.beat.sixteenth"` for finer, `"bar"` for its first beat) or a number of beats from the
 * top (0-based, as a Song Position Pointer counts). `bpm` is the tempo the media was made to
 * (optional: the transport's tempo otherwise). Actions:
 * - `load` `file` [`offset` s]: play `file` from `offset` (0) at this position;
 * - `seek` `to` s: the current file jumps to `to` at this position;
 * - `pause` / `play`: the media holds / plays on (the transport keeps playing);
 * - `set` `property` `value`: an mpv property (state: re-applied on a seek past it);
 * - `command` `command` [name, …args]: any mpv command (an event: run only when crossed).
 * Each entry may carry a `comment`. Cues at one position run in the order written.
 * @module
 */
import { PhaselockError } from '../core/errors.ts';

export type CueValue = string | number | boolean;

interface CueBase {
  /** The entry's index in the list as written (0-based). */
  readonly index: number;
  /** Song position (beats from the top). */
  readonly atBeats: number;
}

export type Cue =
  | (CueBase & { readonly do: 'load'; readonly file: string; readonly offsetSeconds: number })
  | (CueBase & { readonly do: 'seek'; readonly toSeconds: number })
  | (CueBase & { readonly do: 'pause' | 'play' })
  | (CueBase & { readonly do: 'set'; readonly property: string; readonly value: CueValue })
  | (CueBase & { readonly do: 'command'; readonly command: readonly CueValue[] });

export type CueAction = Cue['do'];

export interface CueList {
  /** The tempo the media was made to (bpm), if the list says. */
  readonly bpm: number | undefined;
  readonly beatsPerBar: number;
  /** Sorted by position; entries at one position in the order written. */
  readonly cues: readonly Cue[];
}

export interface CueListOptions {
  /** Checks each `load` file (after `baseDir` is applied); a missing one is a problem. */
  fileExists?: (file: string) => boolean;
  /** Relative `file`s are taken relative to this directory (joined with `/`). */
  baseDir?: string;
}

/** One thing wrong with a cue list. */
export interface CueProblem {
  /** The cue's index (0-based), undefined for the list as a whole. */
  readonly index: number | undefined;
  /** Its line in the text (1-based), when parsed from text. */
  readonly line: number | undefined;
  readonly message: string;
}

/** A cue list that does not validate (`E_DECODE`): every problem, one per line of the message. */
export class CueListError extends PhaselockError {
  readonly problems: readonly CueProblem[];
  constructor(problems: readonly CueProblem[]) {
    const lines = problems.map((p) => `  ${where(p)}${p.message}`);
    super('E_DECODE', `cue list: ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${lines.join('\n')}`);
    this.name = 'CueListError';
    this.problems = problems;
  }
}

function where(p: CueProblem): string {
  const at = [p.index === undefined ? undefined : `cue ${p.index + 1}`, p.line === undefined ? undefined : `line ${p.line}`].filter(Boolean);
  return at.length ? `${at.join(', ')}: ` : '';
}

const ACTIONS: readonly CueAction[] = ['load', 'seek', 'pause', 'play', 'set', 'command'];
const FIELDS: Readonly<Record<CueAction, readonly string[]>> = {
  load: ['file', 'offset'], seek: ['to'], pause: [], play: [], set: ['property', 'value'], command: ['command'],
};
const MAX_CUES = 10_000;
const MAX_BEATS_PER_BAR = 64;

/**
 * Parses and validates a JSON cue list. Throws `CueListError` listing every problem (with
 * lines). Pure.
 * @example
 * const list = parseCueList(text, { baseDir: '/srv/show', fileExists: (f) => existsSync(f) });
 */
export function parseCueList(text: string, options: CueListOptions = {}): CueList {
  if (typeof text !== 'string') throw new TypeError('parseCueList: text must be a string');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const pos = /position (\d+)/.exec(message);
    const line = pos ? lineAt(text, Number(pos[1])) : undefined;
    throw new CueListError([{ index: undefined, line, message: `not valid JSON: ${message}` }]);
  }
  return validateCueList(value, options, cueLines(text));
}

/** Validates a cue list already parsed (from JSON, or built in code). Pure. */
export function validateCueList(value: unknown, options: CueListOptions = {}, lines: readonly number[] = []): CueList {
  const problems: CueProblem[] = [];
  const list = (message: string) => problems.push({ index: undefined, line: undefined, message });
  let entries: unknown;
  let bpm: number | undefined;
  let beatsPerBar = 4;
  if (Array.isArray(value)) entries = value;
  else if (isRecord(value)) {
    for (const k of Object.keys(value)) if (!['bpm', 'beatsPerBar', 'cues', 'comment'].includes(k)) list(`unknown field '${k}' (bpm, beatsPerBar, cues, comment)`);
    if (value.bpm !== undefined) {
      if (typeof value.bpm === 'number' && value.bpm >= 20 && value.bpm <= 999) bpm = value.bpm;
      else list(`bpm must be a number in [20, 999], got ${show(value.bpm)}`);
    }
    if (value.beatsPerBar !== undefined) {
      const b = value.beatsPerBar;
      if (typeof b === 'number' && Number.isInteger(b) && b >= 1 && b <= MAX_BEATS_PER_BAR) beatsPerBar = b;
      else list(`beatsPerBar must be an integer in [1, ${MAX_BEATS_PER_BAR}], got ${show(b)}`);
    }
    entries = value.cues;
    if (entries === undefined) list('no cues (a "cues" array)');
  } else {
    list(`a cue list is an array of cues or an object with "cues", got ${show(value)}`);
  }
  const cues: Cue[] = [];
  if (entries !== undefined && !Array.isArray(entries)) list(`"cues" must be an array, got ${show(entries)}`);
  else if (Array.isArray(entries)) {
    if (entries.length > MAX_CUES) list(`at most ${MAX_CUES} cues, got ${entries.length}`);
    else {
      entries.forEach((entry, index) => {
        const found: string[] = [];
        const cue = validateCue(entry, index, beatsPerBar, options, found);
        for (const message of found) problems.push({ index, line: lines[index], message });
        if (cue) cues.push(cue);
      });
    }
  }
  if (problems.length > 0) throw new CueListError(problems);
  cues.sort((a, b) => a.atBeats - b.atBeats || a.index - b.index);
  return { bpm, beatsPerBar, cues };
}

/** The cue list of a show of one file, played from its start at the top. Pure. */
export function mediaCueList(file: string, bpm?: number): CueList {
  if (typeof file !== 'string' || file.length === 0) throw new TypeError('mediaCueList: file must be a non-empty string');
  return { bpm, beatsPerBar: 4, cues: [{ index: 0, atBeats: 0, do: 'load', file, offsetSeconds: 0 }] };
}

/**
 * A song position (beats from the top) from `"bar.beat[.sixteenth]"` (1-based) or a number of
 * beats (0-based). Throws RangeError (TypeError for other types) naming the accepted forms. Pure.
 * @example parseSongPosition('9.1', 4) // 32
 */
export function parseSongPosition(at: unknown, beatsPerBar = 4): number {
  if (typeof at === 'number') {
    if (Number.isFinite(at) && at >= 0 && at <= 1e7) return at;
    throw new RangeError(`bad position ${show(at)}: a number of beats must be in [0, 1e7]`);
  }
  if (typeof at !== 'string') throw new TypeError(`bad position ${show(at)}: expected "bar.beat" (like "9.1") or a number of beats`);
  const m = /^\s*(\d{1,6})(?:\.(\d{1,2})(?:\.(\d))?)?\s*$/.exec(at);
  const bar = Number(m?.[1]);
  const beat = m?.[2] === undefined ? 1 : Number(m[2]);
  const sixteenth = m?.[3] === undefined ? 1 : Number(m[3]);
  if (!m || bar < 1 || beat < 1 || beat > beatsPerBar || sixteenth < 1 || sixteenth > 4) {
    throw new RangeError(`bad position ${show(at)}: expected "bar.beat" or "bar.beat.sixteenth", 1-based, beat in 1..${beatsPerBar}, sixteenth in 1..4 (like "9.1"), or a number of beats >= 0`);
  }
  return (bar - 1) * beatsPerBar + (beat - 1) + (sixteenth - 1) / 4;
}

// ------------------------------------------------------------------------------------------

function validateCue(entry: unknown, index: number, beatsPerBar: number, options: CueListOptions, found: string[]): Cue | undefined {
  if (!isRecord(entry)) {
    found.push(`a cue is an object like {"at": "9.1", "do": "load", "file": "b.mp4"}, got ${show(entry)}`);
    return undefined;
  }
  let atBeats: number | undefined;
  if (entry.at === undefined) found.push('missing position "at" (like "9.1", or beats)');
  else {
    try {
      atBeats = parseSongPosition(entry.at, beatsPerBar);
    } catch (err) {
      found.push((err as Error).message);
    }
  }
  const action = entry.do;
  if (typeof action !== 'string' || !(ACTIONS as readonly string[]).includes(action)) {
    found.push(action === undefined ? `missing action "do" (${ACTIONS.join(', ')})` : `unknown action ${show(action)} (${ACTIONS.join(', ')})`);
    return undefined;
  }
  const act = action as CueAction;
  for (const k of Object.keys(entry)) {
    if (k !== 'at' && k !== 'do' && k !== 'comment' && !FIELDS[act].includes(k)) {
      found.push(`unknown field '${k}' for ${act} (${['at', 'do', ...FIELDS[act], 'comment'].join(', ')})`);
    }
  }
  const before = found.length;
  const cue = cueFields(act, entry, index, atBeats ?? 0, options, found);
  return atBeats === undefined || found.length > before ? undefined : cue;
}

function cueFields(act: CueAction, e: Record<string, unknown>, index: number, atBeats: number, options: CueListOptions, found: string[]): Cue | undefined {
  const base = { index, atBeats };
  switch (act) {
    case 'load': {
      const offset = e.offset === undefined ? 0 : e.offset;
      if (typeof offset !== 'number' || !Number.isFinite(offset) || offset < 0) found.push(`offset must be seconds >= 0, got ${show(offset)}`);
      const file = loadFile(e.file, options, found);
      return file === undefined ? undefined : { ...base, do: act, file, offsetSeconds: offset as number };
    }
    case 'seek':
      if (typeof e.to !== 'number' || !Number.isFinite(e.to) || e.to < 0) {
        found.push(e.to === undefined ? 'seek needs "to" (seconds into the current file)' : `to must be seconds >= 0, got ${show(e.to)}`);
        return undefined;
      }
      return { ...base, do: act, toSeconds: e.to };
    case 'pause': case 'play':
      return { ...base, do: act };
    case 'set':
      if (typeof e.property !== 'string' || !/^[a-z0-9][a-z0-9/_-]{0,63}$/.test(e.property)) {
        found.push(e.property === undefined ? 'set needs "property" (an mpv property name)' : `bad property name ${show(e.property)}`);
      }
      if (!isCueValue(e.value)) found.push(e.value === undefined ? 'set needs "value"' : `value must be a string, number or boolean, got ${show(e.value)}`);
      return { ...base, do: act, property: e.property as string, value: e.value as CueValue };
    case 'command': {
      const c = e.command;
      if (!Array.isArray(c) || c.length === 0 || typeof c[0] !== 'string' || c[0].length === 0 || c.length > 32 || !c.every(isCueValue)) {
        found.push(c === undefined ? 'command needs "command": [name, ...args]' : `command must be [name, ...args] (a name, then up to 31 strings, numbers or booleans), got ${show(c)}`);
        return undefined;
      }
      return { ...base, do: act, command: c as CueValue[] };
    }
  }
}

function loadFile(file: unknown, options: CueListOptions, found: string[]): string | undefined {
  if (file === undefined) {
    found.push('missing file: load needs "file"');
    return undefined;
  }
  if (typeof file !== 'string' || file.length === 0 || file.length > 4096 || /[\u0000-\u001f]/.test(file)) {
    found.push(`file must be a path or URL (a non-empty string without control characters), got ${show(file)}`);
    return undefined;
  }
  const resolved = resolveFile(file, options.baseDir);
  if (options.fileExists && !isUrl(file) && !options.fileExists(resolved)) {
    found.push(`file not found: ${show(resolved)}`);
    return undefined;
  }
  return resolved;
}

function resolveFile(file: string, baseDir: string | undefined): string {
  if (!baseDir || file.startsWith('/') || isUrl(file)) return file;
  return `${baseDir.replace(/\/+$/, '')}/${file}`;
}

/** `av://lavfi:…`, `https://…`, `file://…`: mpv's URL forms are passed on unchecked. */
function isUrl(file: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(file);
}

function isCueValue(v: unknown): v is CueValue {
  return typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function show(v: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(v) ?? String(v);
  } catch {
    text = String(v);
  }
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/**
 * The line (1-based) each cue starts on: the elements of the top-level array, or of the
 * array under the top-level key "cues". A scan of valid JSON (strings and escapes skipped).
 */
function cueLines(text: string): number[] {
  const lines: number[] = [];
  const stack: Array<'{' | '['> = [];
  let line = 1;
  let lastKey: string | undefined;
  let cuesDepth = -1;
  let expectValue = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\n') { line++; continue; }
    if (c === ' ' || c === '\t' || c === '\r' || c === ',' || c === ':') {
      if (c === ',' && stack.at(-1) === '[') expectValue = true;
      continue;
    }
    const inCues = stack.length === cuesDepth && stack.at(-1) === '[' && expectValue;
    if (inCues) lines.push(line);
    expectValue = false;
    if (c === '"') {
      const start = i + 1;
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      if (stack.length === 1 && stack[0] === '{') lastKey = text.slice(start, i);
    } else if (c === '{' || c === '[') {
      stack.push(c);
      if (c === '[' && ((stack.length === 1) || (stack.length === 2 && stack[0] === '{' && lastKey === 'cues'))) {
        cuesDepth = stack.length;
        expectValue = true;
      }
    } else if (c === '}' || c === ']') {
      stack.pop();
    }
  }
  return lines;
}
