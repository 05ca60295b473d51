/**
 * bench/follow.ts, part 2: Start → mpv playing, on loopback. A DAW (an `RtpMidiEndpoint` on
 * 127.0.0.1, in this process) sends MIDI clock at 120 bpm all the time, and per repetition
 * Stop + SPP 0 (the show arms, mpv waits at the top), then Start on a tick (Start and that F8
 * with the same timestamp, as DAWs do). A receiving endpoint → `MidiClockFollower` →
 * `ShowPlayer` → `MpvClient` → a real mpv. Host times (CLOCK_MONOTONIC, µs), all in this process:
 * - arrival: the Start's datagram at the receiving endpoint (`receivedAtMicros`, the runtime's
 *   receive stamp);
 * - beat 0: the follower's time of the first beat (`start` event's `beatTimeMicros`: the
 *   Start's own timestamp mapped through clock sync, or the next tick's);
 * - fired: ShowPlayer's `fired` event; command: the player hands `set_property pause false` to
 *   its MpvClient; reply: mpv's reply to it; confirmed: mpv's `property-change` pause=false.
 * Two senders: one that sends every message when it is due (sendAheadMicros 0: nothing known
 * ahead, the arrival is the deadline; its timers fire up to ~1 ms late), and one that sends
 * 10 ms ahead with exact timestamps (phaselock's default): the player then waits for beat 0 and
 * unpauses on it. Beside them, mpv alone: `get_property` round trips and unpause replies.
 * @module
 */
import { PhaselockError } from '../src/core/errors.ts';
import type { Runtime } from '../src/core/runtime.ts';
import { MidiClockFollower } from '../src/midi/clock-follower.ts';
import { hrClock } from '../src/node/host-clock.ts';
import { RtpMidiEndpoint } from '../src/rtpmidi/endpoint.ts';
import type { RtpMidiSession } from '../src/rtpmidi/session.ts';
import { MpvClient, type MpvRequestOptions } from '../src/show/mpv-client.ts';
import { ShowPlayer } from '../src/show/show-player.ts';
import { BPM, mpvIs, sleep, startMpv, until } from '../test/helpers/real-mpv.ts';

const HOST = '127.0.0.1';
const TICK_MICROS = 60e6 / (BPM * 24);
const LOOKAHEAD_MICROS = 40_000;

/** The player's MpvClient, noting when it is asked to unpause and when mpv replies. */
class TimedMpvClient extends MpvClient {
  onUnpause: ((phase: 'command' | 'reply') => void) | undefined;
  override request(command: readonly unknown[], options?: MpvRequestOptions): Promise<unknown> {
    const hook = command[0] === 'set_property' && command[1] === 'pause' && command[2] === false ? this.onUnpause : undefined;
    hook?.('command');
    const reply = super.request(command, options);
    reply.then(() => hook?.('reply'), () => undefined);
    return reply;
  }
}

/** A DAW's clock out of one session: F8 on the 120 bpm grid, queued 40 ms ahead with exact times. */
class DawClock {
  private nextTick: number;
  private timer: NodeJS.Timeout | undefined;
  /** Transport messages to go just before the tick at this time. */
  private before = new Map<number, Uint8Array[]>();

  constructor(private readonly session: RtpMidiSession) {
    this.nextTick = hrClock.micros() + LOOKAHEAD_MICROS;
  }

  run(): void {
    const loop = () => {
      const horizon = hrClock.micros() + LOOKAHEAD_MICROS;
      while (this.nextTick <= horizon) {
        for (const m of this.before.get(this.nextTick) ?? []) this.session.send(m, this.nextTick);
        this.before.delete(this.nextTick);
        this.session.send(Uint8Array.of(0xf8), this.nextTick);
        this.nextTick += TICK_MICROS;
      }
      this.timer = setTimeout(loop, 5);
    };
    loop();
  }

  /** Sends `messages` now (Stop, SPP). */
  now(...messages: Uint8Array[]): void {
    for (const m of messages) this.session.send(m);
  }

  /** Start with the first tick not yet queued (its time). */
  startOnTick(): number {
    const at = this.nextTick;
    this.before.set(at, [Uint8Array.of(0xfa)]);
    return at;
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}

export interface LatencyRun {
  label: string;
  /** Per repetition (µs), from the Start's arrival: */
  toFired: number[];
  toCommand: number[];
  toReply: number[];
  toConfirmed: number[];
  /** confirmed − beat 0 (µs): how late the picture starts against the music. */
  beatToConfirmed: number[];
  /** Repetitions that did not complete (not armed in time, no unpause). */
  failed: number;
}

/** mpv on its own, the file loaded: `get_property` round trips, and unpause → reply / property-change (µs). */
export interface MpvFloor {
  getRtt: number[];
  unpauseReply: number[];
  unpauseEvent: number[];
}

async function mpvFloor(probe: MpvClient, media: string): Promise<MpvFloor> {
  const floor: MpvFloor = { getRtt: [], unpauseReply: [], unpauseEvent: [] };
  const loaded = new Promise<void>((r) => probe.once('file-loaded', () => r()));
  await probe.command('loadfile', media);
  await loaded;
  for (let i = 0; i < 200; i++) {
    const t0 = hrClock.micros();
    await probe.getProperty('pause');
    floor.getRtt.push(hrClock.micros() - t0);
  }
  let unpaused: number | undefined;
  const observation = probe.observeProperty('pause', (v) => { if (v === false) unpaused ??= hrClock.micros(); });
  for (let i = 0; i < 50; i++) {
    await until(() => mpvIs(probe, media, true));
    await sleep(50);
    unpaused = undefined;
    const t0 = hrClock.micros();
    await probe.setProperty('pause', false);
    floor.unpauseReply.push(hrClock.micros() - t0);
    if (await until(() => unpaused !== undefined, 2000)) floor.unpauseEvent.push(unpaused! - t0);
    await sleep(100);
    await probe.setProperty('pause', true);
    await probe.command('seek', 0, 'absolute+exact');
  }
  await observation.dispose();
  await probe.command('stop');
  return floor;
}

export async function startLatency(runtime: Runtime, media: string, repetitions: number): Promise<{ runs: LatencyRun[]; floor: MpvFloor }> {
  const mpv = await startMpv();
  const client = await new TimedMpvClient(runtime, { socket: mpv.socketPath }).open();
  const probe = await new MpvClient(runtime, { socket: mpv.socketPath }).open();
  const receiver = await new RtpMidiEndpoint(runtime, { name: 'show', address: HOST }).open();
  const follower = new MidiClockFollower({ clock: runtime.clock, timers: runtime.timers }).open();
  const show = new ShowPlayer(runtime, follower, client, { media, bpm: BPM });
  const senders: RtpMidiEndpoint[] = [];
  let arrival: number | undefined;
  receiver.on('session', (s) => {
    follower.attach(s);
    s.on('message', (e) => { if (e.data[0] === 0xfa) arrival = e.receivedAtMicros; });
  });
  try {
    const floor = await mpvFloor(probe, media);
    show.open();
    if (!await until(() => mpvIs(probe, media, true))) throw new PhaselockError('E_TIMEOUT', 'mpv did not load the media');
    const runs: LatencyRun[] = [];
    for (const [label, sendAheadMicros] of [['sent when due (sendAhead 0)', 0], ['sent 10 ms ahead, timestamped', 10_000]] as const) {
      const sender = await new RtpMidiEndpoint(runtime, { name: `daw-${sendAheadMicros}`, address: HOST }).open();
      senders.push(sender);
      const session = await sender.invite(HOST, receiver.port, { sendAheadMicros });
      await session.whenSynced();
      const clock = new DawClock(session);
      clock.run();
      await sleep(500); // the follower learns the tempo
      const run: LatencyRun = { label, toFired: [], toCommand: [], toReply: [], toConfirmed: [], beatToConfirmed: [], failed: 0 };
      for (let i = 0; i < repetitions; i++) {
        clock.now(Uint8Array.of(0xfc), Uint8Array.of(0xf2, 0, 0)); // Stop, SPP 0
        const armed = await until(async () => show.armed && await mpvIs(probe, media, true) && Math.abs(await probe.getProperty('time-pos')) < 0.001, 5000);
        if (!armed) { run.failed++; continue; }
        await sleep(100 + Math.random() * 100);
        const at: { fired?: number; command?: number; reply?: number; confirmed?: number; beat0?: number } = {};
        arrival = undefined;
        client.onUnpause = (phase) => { at[phase] ??= hrClock.micros(); };
        const onChange = (c: { name: string; data: unknown }) => { if (c.name === 'pause' && c.data === false) at.confirmed ??= hrClock.micros(); };
        const onStart = (e: { beatTimeMicros: number }) => { at.beat0 = e.beatTimeMicros; };
        const onFired = () => { at.fired ??= hrClock.micros(); };
        client.on('property-change', onChange);
        follower.once('start', onStart);
        show.once('fired', onFired);
        clock.startOnTick();
        const ok = await until(() => at.confirmed !== undefined && at.reply !== undefined, 2000);
        client.off('property-change', onChange);
        show.off('fired', onFired);
        client.onUnpause = undefined;
        const t0 = arrival;
        if (!ok || t0 === undefined || at.fired === undefined || at.command === undefined || at.beat0 === undefined) { run.failed++; continue; }
        run.toFired.push(at.fired - t0);
        run.toCommand.push(at.command - t0);
        run.toReply.push(at.reply! - t0);
        run.toConfirmed.push(at.confirmed! - t0);
        run.beatToConfirmed.push(at.confirmed! - at.beat0);
        await sleep(200);
      }
      clock.stop();
      clock.now(Uint8Array.of(0xfc));
      await session.close();
      runs.push(run);
    }
    return { runs, floor };
  } finally {
    await show.close();
    await follower.close();
    for (const s of senders) await s.close();
    await receiver.close();
    await probe.close();
    await client.close();
    await mpv.close();
  }
}
