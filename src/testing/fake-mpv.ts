/**
 * A fake mpv on `FakeStreams` (JSON IPC on a unix path) for tests of show control on
 * VirtualTime: get/set/observe/unobserve properties, `loadfile`, `seek`, `stop`, `quit`, and a
 * playback model — the position advances with virtual time at `speed` (times `playbackRate`:
 * a sound card clock running off) while unpaused, in video frames (`time-pos` and `audio-pts`
 * step by `frameMicros` at the moment the position crosses a frame, observers hear every
 * step), the file ends at its duration (`end-file` eof, then idle, as `mpv --idle`). Faults:
 * `crash()` (every connection reset, the socket gone, as `kill -9`), `answering = false` (a
 * hung mpv), `sendRaw` (any bytes to every client). `start()` again is a restarted mpv: idle and paused, as `--idle --pause`.
 * @example
 * const vt = new VirtualTime();
 * const streams = new FakeStreams(vt);
 * const mpv = await new FakeMpv(vt, streams, { path: '/run/mpv.sock' }).start();
 * // … new MpvClient({ clock: vt, timers: vt, streams }, { socket: '/run/mpv.sock' })
 * @module
 */
import { encodeJsonLine, JsonLineFramer } from '../core/line-framer.ts';
import type { StreamServer, StreamSocket, TimerHandle, UnixAddress } from '../core/runtime.ts';
import type { FakeStreams } from './fake-streams.ts';
import type { VirtualTime } from './virtual-time.ts';

export interface FakeMpvOptions {
  /** The socket path (default `/tmp/fake-mpv.sock`). */
  path?: string;
  /** Length of every file loaded, seconds (default 60). */
  durationSeconds?: number;
  /** One video frame (default 40 ms: 25 fps). */
  frameMicros?: number;
  /** The media's real rate at speed 1 against virtual time (default 1; 0.995: a device clock 0.5 % slow). */
  playbackRate?: number;
  /** Whether files have audio (default true): without, `audio-pts` is unavailable, as in mpv. */
  audio?: boolean;
}

interface Client {
  socket: StreamSocket;
  framer: JsonLineFramer;
  /** Observation id → property name and the last value sent (JSON). */
  observed: Map<number, { name: string; last: string | undefined }>;
}

type Result = { data?: unknown } | { error: string };

const UNAVAILABLE: Result = { error: 'property unavailable' };

export class FakeMpv {
  readonly address: UnixAddress;
  /** Every command received, in order, over all connections and restarts. */
  readonly received: unknown[][] = [];
  /** False: commands are read and never answered (a hung mpv). */
  answering = true;
  private readonly durationSeconds: number;
  private readonly frameMicros: number;
  private readonly playbackRate: number;
  private readonly audio: boolean;
  private server: StreamServer | undefined;
  private readonly clients = new Set<Client>();
  private props = new Map<string, unknown>();
  private loaded: string | undefined;
  private entryId = 0;
  /** Playback position (s) at `sinceMicros`. */
  private posSeconds = 0;
  private sinceMicros = 0;
  private frameTimer: TimerHandle | undefined;
  /** Events a command causes, sent after its reply (as mpv does). */
  private afterReply: (() => void) | undefined;

  constructor(readonly time: VirtualTime, readonly streams: FakeStreams, options: FakeMpvOptions = {}) {
    this.address = { path: options.path ?? '/tmp/fake-mpv.sock' };
    this.durationSeconds = options.durationSeconds ?? 60;
    this.frameMicros = options.frameMicros ?? 40_000;
    this.playbackRate = options.playbackRate ?? 1;
    this.audio = options.audio ?? true;
  }

  /** Listens (again, after `crash()` or `quit`): a fresh mpv, idle and paused, answering. */
  async start(): Promise<this> {
    this.answering = true;
    this.props = new Map<string, unknown>([['pause', true], ['speed', 1], ['volume', 100], ['mute', false], ['fullscreen', false], ['mpv-version', 'mpv fake']]);
    this.loaded = undefined;
    this.server = await this.streams.listen(this.address, { onConnection: (socket) => this.accept(socket) });
    return this;
  }

  /** Killed: every connection reset, nothing listens any more. */
  crash(): void {
    this.stopFrames();
    for (const c of this.clients) this.streams.reset(c.socket);
    this.clients.clear();
    const server = this.server;
    this.server = undefined;
    void server?.close();
  }

  /** Quits politely (as the `quit` command): connections ended, nothing listens any more. */
  async quit(): Promise<void> {
    this.stopFrames();
    const server = this.server;
    this.server = undefined;
    this.clients.clear();
    await server?.close();
  }

  get listening(): boolean {
    return this.server !== undefined;
  }

  get connections(): number {
    return this.clients.size;
  }

  get paused(): boolean {
    return this.props.get('pause') === true;
  }

  /** The file loaded, undefined when idle. */
  get loadedFile(): string | undefined {
    return this.loaded;
  }

  /** The speed property. */
  get speed(): number {
    return this.props.get('speed') as number;
  }

  /** The exact playback position (s), undefined when idle. */
  get positionSeconds(): number | undefined {
    if (this.loaded === undefined) return undefined;
    const playing = !this.paused;
    const speed = this.props.get('speed') as number;
    const t = this.posSeconds + (playing ? ((this.time.micros() - this.sinceMicros) / 1e6) * speed * this.playbackRate : 0);
    return Math.min(t, this.durationSeconds);
  }

  /** Any bytes, to every connected client. */
  sendRaw(data: string | Uint8Array): void {
    for (const c of this.clients) c.socket.write(data);
  }

  /** An event line, to every connected client. */
  emitEvent(event: { event: string; [field: string]: unknown }): void {
    this.sendRaw(encodeJsonLine(event));
  }

  private accept(socket: StreamSocket): { onData(d: Uint8Array): void; onClose(): void } {
    const client: Client = { socket, framer: new JsonLineFramer(), observed: new Map() };
    this.clients.add(client);
    return {
      onData: (bytes) => {
        for (const f of client.framer.push(bytes)) if (f.kind === 'value') this.execute(client, f.value);
      },
      onClose: () => void this.clients.delete(client),
    };
  }

  private execute(client: Client, message: unknown): void {
    const m = message as { command?: unknown; request_id?: unknown };
    if (!Array.isArray(m?.command)) return;
    const command = m.command as unknown[];
    this.received.push(command);
    if (!this.answering) return;
    const result = this.run(client, command);
    const reply: Record<string, unknown> = { request_id: typeof m.request_id === 'number' ? m.request_id : 0 };
    if ('error' in result) reply.error = result.error;
    else {
      if (result.data !== undefined) reply.data = result.data;
      reply.error = 'success';
    }
    if (!client.socket.closed) client.socket.write(encodeJsonLine(reply));
    this.afterReply?.();
    this.afterReply = undefined;
    this.refresh();
  }

  private run(client: Client, [name, ...args]: unknown[]): Result {
    switch (name) {
      case 'get_property': return this.get(String(args[0]));
      case 'set_property': return this.set(String(args[0]), args[1]);
      case 'observe_property': {
        if (typeof args[0] !== 'number' || typeof args[1] !== 'string') return { error: 'invalid parameter' };
        client.observed.set(args[0], { name: args[1], last: undefined });
        this.afterReply = () => this.sendChange(client, args[0] as number, true);
        return {};
      }
      case 'unobserve_property':
        return client.observed.delete(args[0] as number) ? {} : { error: 'invalid parameter' };
      case 'loadfile': return this.load(String(args[0]));
      case 'seek': return this.seek(args[0], typeof args[1] === 'string' ? args[1] : 'relative');
      case 'stop':
        this.afterReply = () => this.unload('stop');
        return {};
      case 'quit':
        this.afterReply = () => { this.unload('quit'); this.emitEvent({ event: 'shutdown' }); void this.quit(); };
        return {};
      case 'client_name': return { data: 'fake' };
      default: return { error: 'invalid parameter' };
    }
  }

  private get(name: string): Result {
    const pos = this.positionSeconds;
    switch (name) {
      case 'time-pos': case 'playback-time':
        return pos === undefined ? UNAVAILABLE : { data: this.frame(pos) };
      case 'audio-pts':
        return pos === undefined || !this.audio ? UNAVAILABLE : { data: this.frame(pos) };
      case 'duration': return this.loaded === undefined ? UNAVAILABLE : { data: this.durationSeconds };
      case 'path': case 'filename': return this.loaded === undefined ? UNAVAILABLE : { data: this.loaded };
      case 'idle-active': return { data: this.loaded === undefined };
      case 'eof-reached': return { data: false };
      default: return this.props.has(name) ? { data: this.props.get(name) } : { error: 'property not found' };
    }
  }

  private set(name: string, value: unknown): Result {
    if (name === 'time-pos') return this.seek(value, 'absolute');
    if (!this.props.has(name)) return { error: 'property not found' };
    if ((name === 'pause' && typeof value !== 'boolean') || (name === 'speed' && !(typeof value === 'number' && value > 0))) {
      return { error: 'unsupported format for accessing property' };
    }
    this.rebase();
    this.props.set(name, value);
    this.frames();
    return {};
  }

  private load(path: string): Result {
    if (this.loaded !== undefined) this.unload('stop', false);
    this.loaded = path;
    this.entryId++;
    this.posSeconds = 0;
    this.sinceMicros = this.time.micros();
    this.afterReply = () => {
      this.emitEvent({ event: 'start-file', playlist_entry_id: this.entryId });
      this.emitEvent({ event: 'file-loaded' });
      this.refresh();
      this.emitEvent({ event: 'playback-restart' });
      this.frames();
    };
    return { data: { playlist_entry_id: this.entryId } };
  }

  private seek(target: unknown, flags: string): Result {
    const pos = this.positionSeconds;
    if (pos === undefined || typeof target !== 'number' || !Number.isFinite(target)) return { error: 'error running command' };
    const to = flags.includes('absolute') ? target : pos + target;
    this.posSeconds = Math.max(0, Math.min(flags.includes('percent') ? (to / 100) * this.durationSeconds : to, this.durationSeconds));
    this.sinceMicros = this.time.micros();
    this.afterReply = () => {
      this.emitEvent({ event: 'seek' });
      this.refresh();
      this.emitEvent({ event: 'playback-restart' });
      this.frames();
    };
    return {};
  }

  private unload(reason: string, idle = true): void {
    if (this.loaded === undefined) return;
    this.loaded = undefined;
    this.stopFrames();
    this.emitEvent({ event: 'end-file', reason, playlist_entry_id: this.entryId });
    this.refresh();
    if (idle) this.emitEvent({ event: 'idle' });
  }

  /** Position to `sinceMicros` = now (before pause or speed change). */
  private rebase(): void {
    this.posSeconds = this.positionSeconds ?? 0;
    this.sinceMicros = this.time.micros();
  }

  /** While playing: a tick as the position crosses each frame, observers told, end of file at the duration. */
  private frames(): void {
    this.stopFrames();
    if (this.loaded === undefined || this.paused) return;
    const f = this.frameMicros / 1e6;
    const pos = this.positionSeconds ?? 0;
    const next = (Math.floor(pos / f + 1e-9) + 1) * f;
    const rate = (this.props.get('speed') as number) * this.playbackRate;
    this.frameTimer = this.time.setTimeout(() => {
      this.frameTimer = undefined;
      if ((this.positionSeconds ?? 0) >= this.durationSeconds) {
        this.unload('eof');
        return;
      }
      this.refresh();
      this.frames();
    }, Math.max(1, Math.ceil(((next - pos) * 1e6) / rate)));
  }

  private stopFrames(): void {
    this.frameTimer?.cancel();
    this.frameTimer = undefined;
  }

  private frame(seconds: number): number {
    const f = this.frameMicros / 1e6;
    return Math.round(Math.floor(seconds / f + 1e-9) * f * 1e6) / 1e6;
  }

  /** Every observation whose value changed hears it. */
  private refresh(): void {
    for (const c of this.clients) for (const id of c.observed.keys()) this.sendChange(c, id, false);
  }

  private sendChange(client: Client, id: number, always: boolean): void {
    const o = client.observed.get(id);
    if (!o || client.socket.closed) return;
    const result = this.get(o.name);
    const data = 'data' in result ? result.data : undefined;
    const text = JSON.stringify(data);
    if (!always && text === o.last) return;
    o.last = text;
    const event: Record<string, unknown> = { event: 'property-change', id, name: o.name };
    if (data !== undefined) event.data = data;
    client.socket.write(encodeJsonLine(event));
  }
}
