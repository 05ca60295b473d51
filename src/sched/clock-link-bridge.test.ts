// Scenario tests of ClockLinkBridge on VirtualTime: a fake DAW feeds MIDI bytes (clock with
// seeded jitter, Start/Stop/Continue, SPP) through a fake MidiInput into a real
// MidiClockFollower; the Link side is a LocalTimeline, or Link peers on the FakeNetwork.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Emitter } from '../core/emitter.ts';
import type { PhaselockError } from '../core/errors.ts';
import { SeededRandom } from '../core/prng.ts';
import type { TimerHandle } from '../core/runtime.ts';
import { LinkPeer } from '../link/link-peer.ts';
import { MidiClockFollower } from '../midi/clock-follower.ts';
import type { MidiInputEvents } from '../midi/input.ts';
import { FakeNetwork } from '../testing/fake-network.ts';
import { VirtualTime } from '../testing/virtual-time.ts';
import { ClockLinkBridge, type ClockLinkBridgeOptions, type ClockLinkCommit } from './clock-link-bridge.ts';
import { LocalTimeline } from './local-timeline.ts';
import type { TimelineSource } from './timeline-source.ts';

/** A MIDI input whose bytes the test sends. */
class FakeMidiInput extends Emitter<MidiInputEvents> {
  constructor(private readonly vt: VirtualTime) {
    super();
  }

  send(...bytes: number[]): void {
    const t = this.vt.micros();
    this.emit('message', { data: Uint8Array.from(bytes), timeMicros: t, receivedAtMicros: t });
  }

  async close(): Promise<void> {}
}

/** A DAW's MIDI out: ticks on an ideal grid at `bpm`, each up to `jitterMicros` late (seeded). */
class FakeDaw {
  readonly input: FakeMidiInput;
  private timer: TimerHandle | undefined;
  private nextIdeal = 0;
  private readonly rng: SeededRandom;

  constructor(private readonly vt: VirtualTime, public bpm = 120, private readonly jitterMicros = 0, seed = 1) {
    this.input = new FakeMidiInput(vt);
    this.rng = new SeededRandom(seed);
  }

  clockOn(): this {
    this.nextIdeal = this.vt.micros();
    this.schedule();
    return this;
  }

  clockOff(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** The ideal time of the next tick. */
  get nextTickMicros(): number {
    return this.nextIdeal;
  }

  start(): void { this.input.send(0xfa); }
  continue(): void { this.input.send(0xfb); }
  stop(): void { this.input.send(0xfc); }
  spp(sixteenths: number): void { this.input.send(0xf2, sixteenths & 0x7f, sixteenths >> 7); }

  /** Plays `beats` of the current tempo in virtual time. */
  play(beats: number): void {
    this.vt.advance(Math.round((beats * 60e6) / this.bpm));
  }

  private schedule(): void {
    const at = Math.round(this.nextIdeal + this.rng.float() * this.jitterMicros);
    this.timer = this.vt.setTimeout(() => {
      this.input.send(0xf8);
      this.nextIdeal += 60e6 / this.bpm / 24;
      this.schedule();
    }, at - this.vt.micros());
  }
}

function rig(daw: { bpm?: number; jitterMicros?: number; seed?: number } = {}, options: ClockLinkBridgeOptions = {}, target?: (vt: VirtualTime) => TimelineSource) {
  const vt = new VirtualTime();
  const d = new FakeDaw(vt, daw.bpm ?? 120, daw.jitterMicros ?? 0, daw.seed ?? 1);
  const follower = new MidiClockFollower({ clock: vt, timers: vt }).attach(d.input);
  const link = target ? target(vt) : new LocalTimeline({ clock: vt, timers: vt, bpm: 100 });
  const bridge = new ClockLinkBridge(follower, link, options).open();
  const commits: ClockLinkCommit[] = [];
  const warnings: PhaselockError[] = [];
  bridge.on('commit', (c) => commits.push(c)).on('warning', (w) => warnings.push(w));
  return { vt, daw: d, follower, link, bridge, commits, warnings };
}

/** |Link phase − song position phase| at `t`, in µs at `bpm` (wrapped to half a quantum). */
function phaseOffMicros(link: TimelineSource, songBeat: number, t: number, bpm: number, q = 4): number {
  const d = (((link.captureAppSessionState().beatAtTime(t, q) - songBeat) % q) + q) % q;
  return (Math.abs(d >= q / 2 ? d - q : d) * 60e6) / bpm;
}

test('no commit storm: 60 s of a 120 bpm clock with 0–2 ms jitter, playing, makes a handful of commits (seeds 1–3)', () => {
  for (const seed of [1, 2, 3]) {
    const { vt, daw, follower, link, commits } = rig({ bpm: 120, jitterMicros: 2000, seed });
    daw.clockOn();
    daw.play(8);
    daw.start();
    daw.play(120); // 60 s
    const kinds = commits.map((c) => c.kind);
    assert.equal(kinds.filter((k) => k === 'start').length, 1, kinds.join(' '));
    assert.ok(commits.length <= 8, `seed ${seed}: ${commits.length} commits in 64 s: ${kinds.join(' ')}`);
    const late = commits.filter((c) => c.timeMicros > vt.micros() - 50e6);
    assert.ok(late.length <= 3, `seed ${seed}: ${late.length} commits in the last 50 s: ${late.map((c) => `${c.kind} ${c.tempoBpm.toFixed(3)}`).join(', ')}`);
    const s = link.captureAppSessionState();
    assert.ok(Math.abs(s.tempo - 120) < 0.1, `Link at ${s.tempo} bpm`);
    assert.ok(phaseOffMicros(link, follower.positionBeats(vt.micros()), vt.micros(), 120) < 2000, 'Link stays on the song position');
  }
});

test('commits are never closer together than minCommitIntervalMicros, except transport ones', () => {
  const { daw, commits } = rig({ bpm: 100, jitterMicros: 2000 }, { minCommitIntervalMicros: 400_000, phaseThresholdMicros: 0 });
  daw.clockOn();
  daw.play(4);
  daw.start();
  daw.play(60);
  const maintenance = commits.filter((c) => c.kind === 'tempo' || c.kind === 'align');
  assert.ok(maintenance.length > 10, `threshold 0 re-aligns often: ${maintenance.length}`);
  const all = commits.map((c) => c.timeMicros);
  for (let i = 1; i < commits.length; i++) {
    if (commits[i]!.kind === 'tempo' || commits[i]!.kind === 'align') assert.ok(all[i]! - all[i - 1]! >= 400_000 - 30_000, `${all[i]! - all[i - 1]!} µs apart`);
  }
});

test('a tempo step 120 → 132 while playing is committed within two beats; the phase stays on the song position', () => {
  const { vt, daw, follower, link, commits } = rig({ bpm: 120, jitterMicros: 1000 });
  daw.clockOn();
  daw.play(4);
  daw.start();
  daw.play(16);
  assert.ok(Math.abs(link.captureAppSessionState().tempo - 120) < 0.1);
  daw.bpm = 132;
  const stepAt = vt.micros();
  daw.play(8);
  const first = commits.find((c) => c.timeMicros > stepAt && Math.abs(c.tempoBpm - 132) < 0.5);
  assert.ok(first, `no commit near 132 bpm: ${commits.map((c) => `${c.kind} ${c.tempoBpm.toFixed(2)}`).join(', ')}`);
  assert.ok(first.timeMicros - stepAt <= 2 * 60e6 / 132, `committed ${(first.timeMicros - stepAt) / 1000} ms after the step`);
  assert.ok(Math.abs(link.captureAppSessionState().tempo - 132) < 0.1);
  assert.ok(phaseOffMicros(link, follower.positionBeats(vt.micros()), vt.micros(), 132) < 1500);
});

test('Start: Link plays from the first tick, which is Link beat ≡ 0 (mod 4): the bar lines line up', () => {
  const { vt, daw, link, commits } = rig({ bpm: 128 });
  daw.clockOn();
  daw.play(6);
  assert.equal(link.captureAppSessionState().isPlaying, false);
  daw.start();
  const firstTick = daw.nextTickMicros;
  const start = commits.find((c) => c.kind === 'start');
  assert.ok(start);
  assert.ok(Math.abs(start.timeMicros - firstTick) <= 2, `start mapped at ${start.timeMicros}, first tick at ${firstTick}`);
  const s = link.captureAppSessionState();
  assert.equal(s.isPlaying, true);
  assert.equal(s.timeForIsPlaying(), start.timeMicros);
  assert.ok(Math.abs(s.beatAtTime(firstTick, 4)) < 0.001, `Link beat ${s.beatAtTime(firstTick, 4)} at the first tick`);
  daw.play(9); // bar 3, beat 2 of the DAW (beat 9)
  assert.ok(phaseOffMicros(link, 9, firstTick + Math.round(9 * 60e6 / 128), 128) < 1000);
  assert.ok(vt.micros() > firstTick);
});

test('SPP + Continue mid-song, and quantum 3: Link beat ≡ song position (mod 3) at the continue; Stop → isPlaying false', () => {
  const { vt, daw, link, commits } = rig({ bpm: 110 }, { quantum: 3 });
  daw.clockOn();
  daw.play(4);
  daw.spp(4 * 37 + 2); // beat 37.5
  daw.continue();
  const first = daw.nextTickMicros;
  const cont = commits.find((c) => c.kind === 'continue');
  assert.ok(cont && cont.beat === 37.5, JSON.stringify(commits));
  const s = link.captureAppSessionState();
  assert.ok(s.isPlaying);
  const phase = s.phaseAtTime(first, 3);
  assert.ok(Math.abs(phase - (37.5 % 3)) < 0.001, `Link phase ${phase} at the first tick, song position 37.5`);
  daw.play(5);
  daw.stop();
  const stopAt = vt.micros();
  const after = link.captureAppSessionState();
  assert.equal(after.isPlaying, false);
  assert.equal(after.timeForIsPlaying(), stopAt);
  assert.equal(commits.at(-1)?.kind, 'stop');
});

test('SPP while playing (a relocation): Link jumps to the new song position', () => {
  const { vt, daw, follower, link, commits } = rig({ bpm: 120 });
  daw.clockOn();
  daw.play(2);
  daw.start();
  daw.play(5.1);
  daw.spp(4 * 64 + 1); // beat 64.25
  assert.equal(commits.at(-1)?.kind, 'relocate');
  daw.play(1);
  const now = vt.micros();
  assert.ok(Math.abs(follower.positionBeats(now) - 65.25) < 0.1);
  assert.ok(phaseOffMicros(link, follower.positionBeats(now), now, 120) < 1000);
});

test('clock lost: no further commits, Link keeps its tempo and plays on; clock back at a new tempo: it leads again', () => {
  const { vt, daw, follower, link, bridge, commits } = rig({ bpm: 125 });
  const leads: boolean[] = [];
  bridge.on('lead', (l) => leads.push(l));
  daw.clockOn();
  daw.play(4);
  daw.start();
  daw.play(8);
  assert.ok(bridge.leading);
  daw.clockOff();
  daw.play(1);
  assert.equal(follower.clockPresent, false);
  assert.equal(bridge.leading, false);
  const before = commits.length;
  vt.advance(10_000_000); // beyond the follower's freewheel: it stops, Link does not
  assert.equal(follower.playing, false);
  assert.equal(commits.length, before, `commits without the clock: ${JSON.stringify(commits.slice(before))}`);
  const s = link.captureAppSessionState();
  assert.ok(Math.abs(s.tempo - 125) < 0.1);
  assert.equal(s.isPlaying, true);
  daw.bpm = 90;
  daw.clockOn();
  daw.play(3);
  assert.ok(bridge.leading);
  assert.ok(commits.length > before);
  assert.ok(Math.abs(link.captureAppSessionState().tempo - 90) < 0.1);
  assert.deepEqual(leads, [true, false, true]);
});

test('clock lost while playing, then the DAW\'s own Stop within the freewheel: Link stops (a real Stop is bridged without the ticks)', () => {
  const { vt, daw, follower, link, commits } = rig({ bpm: 125 });
  daw.clockOn();
  daw.play(4);
  daw.start();
  daw.play(8);
  daw.clockOff();
  daw.play(1);
  assert.equal(follower.clockPresent, false);
  assert.equal(follower.playing, true, 'freewheeling');
  vt.advance(200_000);
  daw.stop();
  assert.equal(commits.at(-1)?.kind, 'stop');
  assert.equal(link.captureAppSessionState().isPlaying, false);
});

test('Start before any tick (a DAW clocking only while playing) is committed with the first ticks', () => {
  const { vt, daw, link, commits } = rig({ bpm: 140 });
  daw.start();
  assert.equal(commits.length, 0, 'nothing while the clock is absent');
  daw.clockOn();
  daw.play(2);
  assert.equal(commits[0]?.kind, 'start');
  daw.play(4);
  const s = link.captureAppSessionState();
  assert.ok(s.isPlaying);
  assert.ok(Math.abs(s.tempo - 140) < 0.2, `${s.tempo}`);
  assert.ok(phaseOffMicros(link, 6, vt.micros(), 140) < 1500);
});

test('opened mid-song: Link starts playing on the song position at once', () => {
  const vt = new VirtualTime();
  const daw = new FakeDaw(vt, 100);
  const follower = new MidiClockFollower({ clock: vt, timers: vt }).attach(daw.input);
  const link = new LocalTimeline({ clock: vt, timers: vt });
  daw.clockOn();
  daw.play(2);
  daw.start();
  daw.play(10.3);
  const bridge = new ClockLinkBridge(follower, link).open();
  vt.advance(1000);
  assert.equal(bridge.commits, 1);
  const s = link.captureAppSessionState();
  assert.ok(s.isPlaying);
  assert.ok(Math.abs(s.tempo - 100) < 0.05);
  assert.ok(phaseOffMicros(link, follower.positionBeats(vt.micros()), vt.micros(), 100) < 500);
});

test('a peer moving the phase while the DAW plays is re-aligned within the check interval', () => {
  const { vt, daw, follower, link, commits } = rig({ bpm: 120 });
  daw.clockOn();
  daw.play(4);
  daw.start();
  daw.play(8);
  const s = link.captureAppSessionState();
  s.forceBeatAtTime(s.beatAtTime(vt.micros(), 4) + 0.1, vt.micros(), 4);
  link.commitAppSessionState(s);
  assert.ok(phaseOffMicros(link, follower.positionBeats(vt.micros()), vt.micros(), 120) > 40_000);
  vt.advance(150_000);
  const align = commits.at(-1);
  assert.equal(align?.kind, 'align');
  assert.ok(Math.abs(Math.abs(align.phaseErrorMicros ?? 0) - 50_000) < 2000, `${align.phaseErrorMicros}`);
  assert.ok(phaseOffMicros(link, follower.positionBeats(vt.micros()), vt.micros(), 120) < 1000);
});

test('Link peers on the FakeNetwork: another peer takes the tempo, the bar lines and start/stop', () => {
  let a!: LinkPeer;
  let b!: LinkPeer;
  const { vt, daw, follower, bridge } = rig({ bpm: 131, jitterMicros: 1000 }, {}, (vt) => {
    const net = new FakeNetwork(vt);
    a = new LinkPeer(net.addHost({ name: 'bridge' }).runtime, { startStopSync: true, bpm: 100 });
    b = new LinkPeer(net.addHost({ name: 'app' }).runtime, { startStopSync: true, bpm: 100 });
    return a;
  });
  a.enable();
  b.enable();
  assert.ok(vt.runUntil(() => a.numPeers === 1 && b.numPeers === 1, 5_000_000));
  daw.clockOn();
  daw.play(4);
  daw.start();
  daw.play(16);
  const now = vt.micros();
  const sb = b.captureAppSessionState();
  assert.ok(Math.abs(sb.tempo - 131) < 0.1, `peer at ${sb.tempo}`);
  assert.equal(sb.isPlaying, true);
  assert.ok(phaseOffMicros(b, follower.positionBeats(now), now, 131) < 1500, 'peer phase on the song position');
  daw.stop();
  vt.advance(100_000);
  assert.equal(b.captureAppSessionState().isPlaying, false);
  void bridge.close();
});

test('lifecycle: close detaches (no more commits), open after close is E_CLOSED, the target closing closes the bridge', async () => {
  const { daw, bridge, commits, link } = rig({ bpm: 120 });
  daw.clockOn();
  daw.play(2);
  daw.start();
  daw.play(2);
  await bridge.close();
  const n = commits.length;
  daw.stop();
  daw.play(8);
  assert.equal(commits.length, n);
  assert.throws(() => bridge.open(), (e: PhaselockError) => e.code === 'E_CLOSED');
  const other = new ClockLinkBridge({ tempoBpm: 120, uncertaintyBpm: 0, clockPresent: false, playing: false, positionBeats: () => 0, on() {}, off() {} }, link).open();
  await (link as LocalTimeline).close();
  assert.equal(other.closed, true);
  assert.throws(() => new ClockLinkBridge(bridge.follower, link, { quantum: 0 }), RangeError);
});

test('bad input never throws: implausible events and a target refusing the commit become warnings', () => {
  const { vt, daw, follower, bridge, warnings, commits } = rig({ bpm: 120 });
  daw.clockOn();
  daw.play(2);
  const emit = (follower as unknown as { emit(e: string, ...a: unknown[]): void }).emit.bind(follower);
  emit('start', { timeMicros: vt.micros(), positionBeats: NaN, beatTimeMicros: vt.micros(), wasArmed: true });
  emit('continue', { timeMicros: vt.micros(), positionBeats: 1e12, beatTimeMicros: vt.micros(), wasArmed: false });
  emit('start', null);
  emit('stop', null);
  emit('stop', { positionBeats: 0, beatTimeMicros: 1.5, byClockLoss: false });
  assert.ok(warnings.length >= 5, warnings.map((w) => w.message).join('\n'));
  assert.equal(commits.filter((c) => c.kind !== 'tempo').length, 0);
  assert.ok(bridge.leading);
});

test('a target that refuses every commit: warnings, at most 4 attempts a second, nothing thrown', () => {
  class Refusing extends LocalTimeline {
    attempts = 0;
    override commitAppSessionState(): void {
      this.attempts++;
      throw new RangeError('refused');
    }
  }
  let target!: Refusing;
  const { vt, daw, warnings, commits } = rig({ bpm: 120 }, {}, (vt) => (target = new Refusing({ clock: vt, timers: vt, bpm: 90 })));
  daw.clockOn();
  daw.play(2);
  daw.start();
  vt.advance(10_000_000);
  assert.equal(commits.length, 0);
  assert.ok(target.attempts >= 10 && target.attempts <= 4 * 11 + 1, `${target.attempts} attempts in ~11 s`);
  assert.ok(warnings.length > 0 && warnings.every((w) => w.code === 'E_STATE' && /refused/.test(w.message)), warnings.map((w) => w.message).join('\n'));
});
