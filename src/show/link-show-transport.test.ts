// LinkShowTransport on VirtualTime: a LocalTimeline (a session of one) and two Link peers on the
// FakeNetwork (a peer's start with start/stop sync), alone and under a ShowPlayer driving FakeMpv.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LinkPeer } from '../link/link-peer.ts';
import { LocalTimeline } from '../sched/local-timeline.ts';
import type { TimelineSource } from '../sched/timeline-source.ts';
import { FakeMpv } from '../testing/fake-mpv.ts';
import { FakeNetwork } from '../testing/fake-network.ts';
import { FakeStreams } from '../testing/fake-streams.ts';
import { VirtualTime } from '../testing/virtual-time.ts';
import { LATE_START_MICROS, LinkShowTransport } from './link-show-transport.ts';
import { MpvClient } from './mpv-client.ts';
import { ShowPlayer } from './show-player.ts';
import { virtualRunner } from '../../test/helpers/show-rig.ts';

function local(bpm = 120) {
  const vt = new VirtualTime();
  const timeline = new LocalTimeline({ clock: vt, timers: vt, bpm });
  return { vt, timeline, ...watch(new LinkShowTransport(timeline).open()) };
}

function watch(transport: LinkShowTransport) {
  const log: string[] = [];
  const events: Array<{ kind: string; timeMicros: number; positionBeats: number; beatTimeMicros: number }> = [];
  for (const kind of ['start', 'continue', 'stop'] as const) {
    transport.on(kind, (e) => {
      log.push(`${kind} ${e.positionBeats.toFixed(2)}`);
      events.push({ kind, ...e });
    });
  }
  transport.on('position', (b) => log.push(`position ${b}`));
  transport.on('tempo', (b) => log.push(`tempo ${b}`));
  return { transport, log, events };
}

/** Starts (or stops) the source's transport at host time `at` (default now), without a beat request. */
function setPlaying(source: TimelineSource, playing: boolean, at = source.clock.micros()): void {
  const s = source.captureAppSessionState();
  s.setIsPlaying(playing, at);
  source.commitAppSessionState(s);
}

describe('LinkShowTransport', () => {
  it('a start mid-bar starts the show on the next bar: start at once, position 0 at the bar, negative before', () => {
    const { vt, timeline, transport, log, events } = local(120);
    const t0 = vt.micros(); // beat 0 of the timeline
    assert.equal(transport.playing, false);
    assert.equal(transport.positionBeats(t0), 0);
    assert.equal(transport.tempoBpm, 120);
    vt.advance(650_000); // beat 1.3
    setPlaying(timeline, true);
    assert.deepEqual(log, ['start 0.00']);
    const bar = t0 + 2_000_000; // beat 4: the first bar at or after the start
    assert.equal(events[0]!.beatTimeMicros, bar);
    assert.equal(events[0]!.timeMicros, vt.micros());
    assert.equal(transport.playing, true);
    assert.equal(transport.positionBeats(bar), 0);
    assert.equal(transport.positionBeats(vt.micros()), -2.7);
    vt.advance(3_350_000); // 2 s after the bar
    assert.equal(transport.positionBeats(vt.micros()), 4);
  });

  it('a listener that throws is a warning, never a throw into the timeline', () => {
    const { vt, timeline, transport } = local(120);
    const warnings: string[] = [];
    transport.on('warning', (w) => warnings.push(w.message));
    transport.on('start', () => { throw new Error('boom'); });
    vt.advance(100_000);
    assert.doesNotThrow(() => setPlaying(timeline, true));
    assert.equal(transport.playing, true);
    assert.match(warnings.join('\n'), /a listener threw: boom/);
  });

  it('a start on a bar starts there; stop pauses where it stopped, then rewinds to 0 so the next start fires again', () => {
    const { vt, timeline, transport, log } = local(120);
    vt.advance(4_000_000); // beat 8, a bar
    setPlaying(timeline, true);
    vt.advance(1_500_000);
    setPlaying(timeline, false);
    assert.deepEqual(log, ['start 0.00', 'stop 3.00', 'position 0']);
    assert.equal(transport.playing, false);
    assert.equal(transport.positionBeats(vt.micros()), 0);
    vt.advance(10_000_000); // stopped: the position stays (Link's beats run on)
    assert.equal(transport.positionBeats(vt.micros()), 0);
    setPlaying(timeline, true);
    assert.deepEqual(log.slice(3), ['start 0.00']);
  });

  it('a stop before the first bar (the count-in) stops at 0: no rewind needed', () => {
    const { vt, timeline, log } = local(120);
    vt.advance(100_000);
    setPlaying(timeline, true);
    vt.advance(500_000); // the bar is at 2 s
    setPlaying(timeline, false);
    assert.deepEqual(log, ['start 0.00', 'stop 0.00']);
  });

  it('a session playing since long ago is joined: playing at open, and a late start is a continue at the position reached', () => {
    const { vt, timeline } = local(120);
    setPlaying(timeline, true, vt.micros() + 100_000); // bar at beat 4 (2 s)
    vt.advance(10_000_000);
    const { transport } = watch(new LinkShowTransport(timeline).open());
    assert.equal(transport.playing, true);
    assert.ok(Math.abs(transport.positionBeats(vt.micros()) - 16) < 1e-5, `${transport.positionBeats(vt.micros())}`);

    // A start heard late (the bar passed more than LATE_START_MICROS ago): continue.
    const vt2 = new VirtualTime();
    const tl2 = new LocalTimeline({ clock: vt2, timers: vt2 });
    const late = watch(new LinkShowTransport(tl2).open());
    vt2.advance(5_000_000);
    setPlaying(tl2, true, vt2.micros() - 2_000_000); // started at 3 s: its bar (4 s) passed 1 s ago
    assert.ok(1_000_000 > LATE_START_MICROS);
    assert.equal(late.events[0]?.kind, 'continue');
    assert.ok(Math.abs(late.events[0]!.positionBeats - 2) < 1e-5, `${late.events[0]!.positionBeats}`);
  });

  it('tempo: events pass through; a tempo change keeps the position continuous; a renumbered timeline moves the origin along', () => {
    const { vt, timeline, transport, log } = local(120);
    setPlaying(timeline, true); // on beat 0
    vt.advance(2_000_000); // beat 4
    const s = timeline.captureAppSessionState();
    s.setTempo(60, vt.micros());
    timeline.commitAppSessionState(s);
    assert.equal(transport.tempoBpm, 60);
    assert.deepEqual(log, ['start 0.00', 'tempo 60']);
    assert.equal(transport.positionBeats(vt.micros()), 4);
    vt.advance(2_000_000);
    assert.equal(transport.positionBeats(vt.micros()), 6);
    // Someone re-maps the beats (a forced beat): the song position does not jump.
    const r = timeline.captureAppSessionState();
    r.forceBeatAtTime(100, vt.micros(), 4);
    timeline.commitAppSessionState(r);
    assert.equal(transport.positionBeats(vt.micros()), 6);
    vt.advance(1_000_000);
    assert.equal(transport.positionBeats(vt.micros()), 7);
    // A clock correction (the grid moves by a few µs): followed, not compensated.
    const c = timeline.captureAppSessionState();
    c.forceBeatAtTime(c.beatAtTime(vt.micros(), 4) + 0.001, vt.micros(), 4);
    timeline.commitAppSessionState(c);
    assert.ok(Math.abs(transport.positionBeats(vt.micros()) - 7.001) < 1e-6, `${transport.positionBeats(vt.micros())}`);
  });

  it('bad options throw at once; open after close is E_CLOSED; the source closing closes it', async () => {
    const vt = new VirtualTime();
    const timeline = new LocalTimeline({ clock: vt, timers: vt });
    assert.throws(() => new LinkShowTransport(timeline, { quantum: 0 }), RangeError);
    assert.throws(() => new LinkShowTransport(timeline, { quantum: Number.NaN }), RangeError);
    assert.throws(() => new LinkShowTransport({} as TimelineSource), TypeError);
    const t = new LinkShowTransport(timeline).open();
    let closed = 0;
    t.on('close', () => closed++);
    await timeline.close();
    assert.equal(closed, 1);
    assert.throws(() => t.open(), /E_CLOSED|closed/);
  });

  it("a Link peer's quantized start (start/stop sync) starts the show on the session's bar", () => {
    const vt = new VirtualTime();
    const net = new FakeNetwork(vt);
    const ha = net.addHost({ name: 'a', clockOffsetMicros: 0 });
    const hb = net.addHost({ name: 'b', clockOffsetMicros: 1_234_567 });
    const a = new LinkPeer(ha.runtime, { bpm: 120, startStopSync: true });
    const b = new LinkPeer(hb.runtime, { bpm: 120, startStopSync: true });
    a.enable();
    b.enable();
    assert.ok(vt.runUntil(() => a.numPeers === 1 && b.numPeers === 1, 5_000_000));
    vt.advance(1_000_000);
    const { transport, events, log } = watch(new LinkShowTransport(a, { quantum: 4 }).open());
    const sb = b.captureAppSessionState();
    sb.setIsPlayingAndRequestBeatAtTime(true, hb.runtime.clock.micros(), 0, 4); // as LinkHut's play
    b.commitAppSessionState(sb);
    vt.advance(200_000);
    assert.deepEqual(log, ['start 0.00']);
    const bar = events[0]!.beatTimeMicros;
    const sa = a.captureAppSessionState();
    assert.ok(Math.abs(sa.phaseAtTime(bar, 4)) < 1e-3 || Math.abs(sa.phaseAtTime(bar, 4) - 4) < 1e-3, `phase ${sa.phaseAtTime(bar, 4)}`);
    // b's beat 0 is the same instant (true time: the clocks differ by 1.234567 s), within measurement error.
    const bBeat0 = b.captureAppSessionState().timeAtBeat(0, 4) - 1_234_567;
    assert.ok(Math.abs(bar - bBeat0) <= 5, `${bar - bBeat0} µs`);
    vt.advance(bar + 3_000_000 - vt.micros());
    assert.ok(Math.abs(transport.positionBeats(vt.micros()) - 6) < 1e-3);
    const sb2 = b.captureAppSessionState();
    sb2.setIsPlaying(false, hb.runtime.clock.micros());
    b.commitAppSessionState(sb2);
    vt.advance(200_000);
    assert.equal(transport.playing, false);
    assert.deepEqual(log.slice(1).map((l) => l.replace(/stop 6\.\d\d/, 'stop 6.x')), ['stop 6.x', 'position 0']);
    a.disable();
    b.disable();
  });
});

describe('LinkShowTransport under a ShowPlayer (FakeMpv)', () => {
  it('armed at open; a start fires the show, the media waits at the top until the bar and then plays; stop pauses, rewinds, arms', async () => {
    const vt = new VirtualTime();
    const streams = new FakeStreams(vt);
    const mpv = await new FakeMpv(vt, streams, { path: '/run/show.sock', durationSeconds: 600 }).start();
    const client = new MpvClient({ clock: vt, timers: vt, streams }, { socket: '/run/show.sock' });
    const timeline = new LocalTimeline({ clock: vt, timers: vt, bpm: 120 });
    const transport = new LinkShowTransport(timeline).open();
    const show = new ShowPlayer({ clock: vt, timers: vt }, transport, client, { media: 'show.mp4' });
    const log: string[] = [];
    show.on('armed', (x) => log.push(x ? 'armed' : 'disarmed'));
    for (const e of ['fired', 'paused', 'resumed', 'seeked'] as const) show.on(e, () => log.push(e));
    const run = virtualRunner(vt);
    const opening = client.open();
    await run(10_000);
    await opening;
    show.open();
    await run(100_000);
    assert.equal(show.state, 'armed');
    assert.equal(mpv.loadedFile, 'show.mp4');
    const start = timeline.captureAppSessionState();
    const barMicros = start.timeAtBeat(Math.ceil(start.beatAtTime(vt.micros() + 500_000, 4) / 4) * 4, 4);
    setPlaying(timeline, true, barMicros - 700_000); // a start 0.7 s before a bar
    await run(10_000);
    assert.deepEqual(log, ['armed', 'disarmed', 'fired']);
    await run(barMicros - vt.micros() - 50_000);
    assert.equal(mpv.paused, true, 'waits paused at the top before the bar');
    await run(1_050_000);
    assert.equal(mpv.paused, false, 'plays from the bar');
    assert.ok(Math.abs((mpv.positionSeconds ?? -1) - 1) <= 0.04, `1 s after the bar at ${mpv.positionSeconds}`);
    setPlaying(timeline, false);
    await run(200_000);
    assert.deepEqual(log.slice(3), ['paused', 'armed', 'seeked']);
    assert.equal(show.state, 'armed');
    assert.equal(mpv.paused, true);
    assert.ok(Math.abs(mpv.positionSeconds ?? -1) < 0.001, `back at the top: ${mpv.positionSeconds}`);
    setPlaying(timeline, true);
    await run(3_000_000);
    assert.deepEqual(log.slice(6), ['disarmed', 'fired']);
    assert.equal(mpv.paused, false);
    await show.close();
    const closing = client.close();
    await run(100_000);
    await closing;
  });
});
