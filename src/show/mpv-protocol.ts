/**
 * mpv's JSON IPC, the pure part (L0): what a line from mpv is (a reply to a request, or an
 * event), typed views of the events a show cares about, the types of well-known properties,
 * and the error a failed command rejects with. Values come from another process: every field is
 * checked before it is trusted (DESIGN §4), nothing here throws on input.
 *
 * Wire format (mpv manual, "JSON IPC"): one JSON object per line each way. A command is
 * `{"command":[name, ...args],"request_id":N}`; its reply `{"request_id":N,"error":"success","data":…}`
 * (`error` is mpv's error text otherwise, `data` absent for commands without a result). An event
 * is `{"event":"name", …fields}`; replies and events interleave in any order.
 * @module
 */
import { PhaselockError } from '../core/errors.ts';

/** A reply to one of our requests. */
export interface MpvReply {
  kind: 'reply';
  requestId: number;
  /** `"success"`, or mpv's error text (`"property unavailable"`, `"invalid parameter"`, …). */
  error: string;
  /** The result; undefined when mpv sent none. */
  data: unknown;
}

/** An event line, as mpv sent it (its own field names). */
export interface MpvEvent {
  readonly event: string;
  readonly [field: string]: unknown;
}

export type MpvMessage = MpvReply | { kind: 'event'; event: MpvEvent } | { kind: 'invalid'; reason: string };

/** Longest event name we accept (mpv's are under 20 characters). */
const MAX_EVENT_NAME = 64;

/** What a parsed line is: a reply, an event, or neither (with why). Pure; never throws. */
export function classifyMpvMessage(value: unknown): MpvMessage {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { kind: 'invalid', reason: `not a JSON object: ${excerpt(safeStringify(value))}` };
  }
  const o = value as Record<string, unknown>;
  if ('event' in o) {
    if (typeof o.event !== 'string' || o.event.length === 0 || o.event.length > MAX_EVENT_NAME) {
      return { kind: 'invalid', reason: `event without a valid name: ${excerpt(safeStringify(o.event))}` };
    }
    return { kind: 'event', event: o as MpvEvent };
  }
  if ('request_id' in o) {
    const id = o.request_id;
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) {
      return { kind: 'invalid', reason: `reply with an invalid request_id: ${excerpt(safeStringify(id))}` };
    }
    if (typeof o.error !== 'string') return { kind: 'invalid', reason: `reply ${id} without an error string` };
    return { kind: 'reply', requestId: id, error: o.error, data: o.data };
  }
  return { kind: 'invalid', reason: `neither an event nor a reply: ${excerpt(safeStringify(value))}` };
}

// ------------------------------------------------------------------------------------------
// Typed events

/** `property-change`: an observed property changed (`data` undefined: the property is unavailable now). */
export interface MpvPropertyChange {
  /** The observation id given in `observe_property`. */
  id: number;
  name: string;
  data: unknown;
}

/** `start-file`: a file is about to be opened. */
export interface MpvStartFile {
  playlistEntryId: number | undefined;
}

/** `end-file`: a file was unloaded (`reason`: eof, stop, quit, error, redirect, unknown). */
export interface MpvEndFile {
  reason: string;
  playlistEntryId: number | undefined;
  /** With reason `error`: what went wrong (e.g. "loading failed"). */
  fileError: string | undefined;
}

/** The fields of a `property-change` event, or undefined when they are malformed. Pure. */
export function propertyChangeOf(e: MpvEvent): MpvPropertyChange | undefined {
  const { id, name } = e;
  // mpv sends id 0 for observations made by scripts and other clients' id-less forms.
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || typeof name !== 'string' || name.length === 0) return undefined;
  return { id, name, data: e.data };
}

/** Pure. */
export function startFileOf(e: MpvEvent): MpvStartFile {
  return { playlistEntryId: safeInt(e.playlist_entry_id) };
}

/** Pure. */
export function endFileOf(e: MpvEvent): MpvEndFile {
  return {
    reason: typeof e.reason === 'string' ? e.reason : 'unknown',
    playlistEntryId: safeInt(e.playlist_entry_id),
    fileError: typeof e.file_error === 'string' ? e.file_error : undefined,
  };
}

function safeInt(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isSafeInteger(v) ? v : undefined;
}

// ------------------------------------------------------------------------------------------
// Property types

/**
 * Types of the properties a show player reads most (mpv manual, "Property List"). Other names
 * work too, typed `unknown`. Times are seconds.
 */
export interface MpvPropertyTypes {
  pause: boolean;
  'time-pos': number;
  /** Position of the audio being played: smoother than `time-pos`, which steps with video frames. */
  'audio-pts': number;
  'playback-time': number;
  'time-remaining': number;
  'percent-pos': number;
  duration: number;
  speed: number;
  volume: number;
  mute: boolean;
  fullscreen: boolean;
  path: string;
  filename: string;
  'media-title': string;
  'idle-active': boolean;
  'eof-reached': boolean;
  'core-idle': boolean;
  seeking: boolean;
  'paused-for-cache': boolean;
  'playlist-pos': number;
  'playlist-count': number;
  'container-fps': number;
  'estimated-vf-fps': number;
  'mpv-version': string;
}

export type MpvPropertyName = keyof MpvPropertyTypes;

type Kind = 'number' | 'boolean' | 'string';
const K_NUMBER: Kind = 'number';
const K_BOOLEAN: Kind = 'boolean';
const K_STRING: Kind = 'string';

const PROPERTY_KINDS: { readonly [K in MpvPropertyName]: Kind } = {
  pause: K_BOOLEAN, 'time-pos': K_NUMBER, 'audio-pts': K_NUMBER, 'playback-time': K_NUMBER,
  'time-remaining': K_NUMBER, 'percent-pos': K_NUMBER, duration: K_NUMBER, speed: K_NUMBER,
  volume: K_NUMBER, mute: K_BOOLEAN, fullscreen: K_BOOLEAN, path: K_STRING, filename: K_STRING,
  'media-title': K_STRING, 'idle-active': K_BOOLEAN, 'eof-reached': K_BOOLEAN, 'core-idle': K_BOOLEAN,
  seeking: K_BOOLEAN, 'paused-for-cache': K_BOOLEAN, 'playlist-pos': K_NUMBER, 'playlist-count': K_NUMBER,
  'container-fps': K_NUMBER, 'estimated-vf-fps': K_NUMBER, 'mpv-version': K_STRING,
};

/**
 * Whether `value` has the type `name` is known to have (any value does for other names;
 * numbers must be finite). Pure.
 */
export function isPropertyValue(name: string, value: unknown): boolean {
  const kind = Object.hasOwn(PROPERTY_KINDS, name) ? PROPERTY_KINDS[name as MpvPropertyName] : undefined;
  if (kind === undefined) return true;
  if (kind === 'number') return typeof value === 'number' && Number.isFinite(value);
  return typeof value === kind;
}

// ------------------------------------------------------------------------------------------
// Errors and text

/**
 * mpv answered a command with an error (`E_PROTOCOL`): `mpvError` is mpv's text
 * (`"property unavailable"` before a file is loaded, `"property not found"`, `"invalid parameter"`, …).
 */
export class MpvCommandError extends PhaselockError {
  readonly mpvError: string;
  readonly command: readonly unknown[];
  constructor(mpvError: string, command: readonly unknown[]) {
    super('E_PROTOCOL', `mpv: ${describeCommand(command)}: ${excerpt(mpvError)}`);
    this.name = 'MpvCommandError';
    this.mpvError = mpvError;
    this.command = command;
  }
}

/** `get_property "time-pos"`: a command's name and first argument, for messages. Pure. */
export function describeCommand(command: readonly unknown[]): string {
  const [name, first] = command;
  const head = typeof name === 'string' ? name : safeStringify(name);
  return excerpt(first === undefined ? head : `${head} ${safeStringify(first)}`);
}

/** Text from mpv made safe to print: control characters masked, at most 80 characters. Pure. */
export function excerpt(text: string): string {
  const clean = text.slice(0, 80).replace(/[\u0000-\u001f\u007f]/g, '?');
  return text.length > 80 ? `${clean}…` : clean;
}

function safeStringify(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
