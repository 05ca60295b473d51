// The live view's key bindings on real LinkPeers over VirtualTime + FakeNetwork.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LinkPeer } from '../../link/link-peer.ts';
import { FakeNetwork } from '../../testing/fake-network.ts';
import { VirtualTime } from '../../testing/virtual-time.ts';
import { awaitJoin, JOIN_SETTLE_MICROS, JOIN_WAIT_MICROS, LinkHut, transportOf } from './hut.ts';
import { formatJsonStatus, isCountingIn, renderScreen } from './status-format.ts';

function setup(peers = 1) {
  const vt = new VirtualTime();
  const net = new FakeNetwork(vt);
  const links = Array.from({ length: peers }, (_, i) =>
    new LinkPeer(net.addHost({ name: `h${i}` }).runtime, { bpm: 120, startStopSync: true }));
  const hut = new LinkHut(links[0]!, { quantum: 4 });
  return { vt, links, hut, link: links[0]! };
}

const near = (a: number, b: number, eps = 1e-3) => Math.abs(a - b) < eps;
const keys = (hut: LinkHut, s: string) => [...s].map((k) => hut.key(k));

/** Two peers on one FakeNetwork: `b` founds a session, the hut's `a` (which yields ties, like the CLI) joins it later. */
function twoPeers(bBpm = 120) {
  const vt = new VirtualTime();
  const net = new FakeNetwork(vt);
  const a = new LinkPeer(net.addHost({ name: 'a' }).runtime, { bpm: 120, startStopSync: true, yieldTies: true });
  const b = new LinkPeer(net.addHost({ name: 'b' }).runtime, { bpm: bBpm, startStopSync: true });
  const hut = new LinkHut(a, { quantum: 4 });
  return { vt, a, b, hut };
}

const join = (vt: VirtualTime, a: LinkPeer, b: LinkPeer) => {
  if (!b.enabled) b.enable();
  a.enable();
  assert.ok(vt.runUntil(() => a.numPeers === 1 && b.numPeers === 1, 3_000_000), 'joined');
};

const commit = (link: LinkPeer, change: (s: ReturnType<LinkPeer['captureAppSessionState']>, now: number) => void) => {
  const s = link.captureAppSessionState();
  change(s, link.clock.micros());
  link.commitAppSessionState(s);
};

describe('LinkHut keys', () => {
  it('w/e change the tempo by 1 bpm, W/E by 0.1, within [20, 999]', () => {
    const { hut } = setup();
    keys(hut, 'e');
    assert.equal(hut.status().tempo, 121);
    keys(hut, 'EE');
    assert.equal(hut.status().tempo, 121.2);
    keys(hut, 'wW');
    assert.equal(hut.status().tempo, 120.1);
    assert.match(hut.message, /tempo 120\.10 bpm/);
    for (let i = 0; i < 200; i++) hut.key('w');
    assert.equal(hut.status().tempo, 20);
  });

  it('r/t change the quantum within [1, 64]', () => {
    const { hut } = setup();
    keys(hut, 'ttt');
    assert.equal(hut.status().quantum, 7);
    keys(hut, 'rrrrrrrrrr');
    assert.equal(hut.status().quantum, 1);
    for (let i = 0; i < 100; i++) hut.key('t');
    assert.equal(hut.status().quantum, 64);
  });

  it('a enables and disables Link; s toggles start/stop sync', () => {
    const { hut, link } = setup();
    keys(hut, 'a');
    assert.equal(link.enabled, true);
    keys(hut, 'a');
    assert.equal(link.enabled, false);
    keys(hut, 's');
    assert.equal(hut.status().startStopSync, false);
    keys(hut, 's');
    assert.equal(hut.status().startStopSync, true);
  });

  it('space alone starts at once at beat 0 and stops again', () => {
    const { hut, vt } = setup();
    keys(hut, ' ');
    const s = hut.status();
    assert.equal(s.isPlaying, true);
    assert.ok(Math.abs(s.beat) < 1e-6, `beat ${s.beat}`);
    vt.advance(500_000);
    assert.ok(Math.abs(hut.status().beat - 1) < 1e-6);
    keys(hut, ' ');
    assert.equal(hut.status().isPlaying, false);
  });

  it('space with peers starts on the next bar: negative beats count in, the peer starts too', () => {
    const { hut, vt, links } = setup(2);
    const [a, b] = links as [LinkPeer, LinkPeer];
    a.enable();
    b.enable();
    assert.ok(vt.runUntil(() => a.numPeers === 1 && b.numPeers === 1, 3_000_000));
    vt.advance(100_000);
    const phaseBefore = hut.status().phase;
    keys(hut, ' ');
    const s = hut.status();
    assert.equal(s.isPlaying, true);
    assert.ok(s.beat < 0 && s.beat > -4, `count-in beat ${s.beat}`);
    assert.ok(Math.abs(s.beat - (phaseBefore - 4)) < 1e-3, 'beat 0 lands on the next bar of the shared phase');
    assert.match(hut.message, /next bar/);
    assert.ok(vt.runUntil(() => b.captureAppSessionState().isPlaying, 1_000_000), 'the peer started');
    vt.advance(Math.ceil((-s.beat * 500_000)) + 1000);
    assert.ok(hut.status().beat >= 0);
  });

  it('T taps the tempo', () => {
    const { hut, vt } = setup();
    keys(hut, 'T');
    assert.match(hut.message, /keep tapping/);
    for (let i = 0; i < 3; i++) {
      vt.advance(400_000);
      keys(hut, 'T');
    }
    assert.equal(hut.status().tempo, 150);
    assert.match(hut.message, /tap ×4: tempo 150\.00 bpm/);
  });

  it('? toggles help; q, Ctrl-C and Ctrl-D quit; other keys do nothing', () => {
    const { hut } = setup();
    keys(hut, '?');
    assert.equal(hut.helpVisible, true);
    keys(hut, '?');
    assert.equal(hut.helpVisible, false);
    assert.deepEqual(keys(hut, 'q\x03\x04xyz'), ['quit', 'quit', 'quit', undefined, undefined, undefined]);
    assert.equal(hut.status().tempo, 120);
  });
});

describe('LinkHut messages', () => {
  it('a message shows for 4 s, then goes', () => {
    const { hut, vt } = setup();
    keys(hut, 'e');
    assert.equal(hut.visibleMessage(), 'tempo 121.00 bpm');
    vt.advance(3_999_000);
    assert.equal(hut.visibleMessage(), 'tempo 121.00 bpm');
    vt.advance(2_000);
    assert.equal(hut.visibleMessage(), '');
  });
});

describe('LinkHut keys before the join', () => {
  it('a key typed at start waits for the join, so the session gets it (a change before the join is lost to it)', () => {
    const { vt, a, b, hut } = twoPeers(130);
    b.enable();
    vt.advance(500_000);
    hut.holdKeys();
    a.enable();
    assert.equal(hut.input('e'), 'held');
    assert.equal(hut.status().tempo, 120, 'not applied yet');
    let released: string[] | undefined;
    awaitJoin(a, () => (released = hut.releaseKeys()));
    assert.ok(vt.runUntil(() => released !== undefined, 3_000_000), 'the join settled');
    assert.equal(a.numPeers, 1);
    assert.deepEqual(released, ['e']);
    assert.ok(near(hut.status().tempo, 130), 'joined the session at its tempo');
    for (const k of released!) hut.key(k);
    assert.ok(vt.runUntil(() => near(b.captureAppSessionState().tempo, 131), 1_000_000), 'the peer has the new tempo');
    assert.equal(hut.input('e'), undefined, 'after the release, keys apply at once');
    assert.ok(near(hut.status().tempo, 132));
  });

  it('the same key applied before the join is overwritten by the session (what holding prevents)', () => {
    const { vt, a, b, hut } = twoPeers(130);
    b.enable();
    vt.advance(500_000);
    a.enable();
    hut.key('e');
    assert.equal(hut.status().tempo, 121);
    assert.ok(vt.runUntil(() => a.numPeers === 1, 3_000_000));
    vt.advance(JOIN_SETTLE_MICROS);
    assert.ok(near(hut.status().tempo, 130));
    assert.ok(near(b.captureAppSessionState().tempo, 130));
  });

  it('awaitJoin: alone it settles after the wait; with a peer, a settle time after the first one; cancel stops it', () => {
    const alone = twoPeers();
    alone.a.enable();
    const t0 = alone.vt.micros();
    let at: number | undefined;
    awaitJoin(alone.a, () => (at = alone.vt.micros()));
    alone.vt.advance(JOIN_WAIT_MICROS - 1000);
    assert.equal(at, undefined);
    alone.vt.advance(2000);
    assert.equal(at! - t0, JOIN_WAIT_MICROS);

    const pair = twoPeers();
    pair.b.enable();
    pair.a.enable();
    let joinedAt: number | undefined;
    pair.a.on('peers', (n) => (joinedAt ??= n > 0 ? pair.vt.micros() : undefined));
    let settledAt: number | undefined;
    awaitJoin(pair.a, () => (settledAt = pair.vt.micros()), { waitMicros: 5_000_000 });
    assert.ok(pair.vt.runUntil(() => settledAt !== undefined, 5_000_000));
    assert.equal(settledAt! - joinedAt!, JOIN_SETTLE_MICROS);

    let called = false;
    const wait = awaitJoin(alone.a, () => (called = true));
    wait.cancel();
    alone.vt.advance(2 * JOIN_WAIT_MICROS);
    assert.equal(called, false);
  });

  it('while held, Ctrl-C quits at once, q too unless keys wait before it; released keys keep their order', () => {
    const { hut } = twoPeers();
    hut.holdKeys();
    assert.equal(hut.input('q'), 'quit');
    assert.equal(hut.input('\x03'), 'quit');
    assert.deepEqual(['e', 'E', 'q'].map((k) => hut.input(k)), ['held', 'held', 'held']);
    assert.equal(hut.input('\x03'), 'quit');
    assert.match(hut.visibleMessage(), /keys wait/);
    assert.deepEqual(hut.releaseKeys(), ['e', 'E', 'q']);
    assert.deepEqual(hut.releaseKeys(), []);
  });
});

describe('LinkHut transport: playing, stopped or unknown', () => {
  it('alone the transport is our own; joining a playing session makes it unknown (Link shares changes, not the state)', () => {
    const { vt, a, b, hut } = twoPeers();
    a.enable();
    vt.advance(100_000);
    assert.equal(hut.status().transport, 'stopped');
    b.enable();
    vt.advance(100_000);
    commit(b, (s, now) => s.setIsPlaying(true, now));
    a.disable();
    join(vt, a, b);
    vt.advance(JOIN_SETTLE_MICROS);
    const s = hut.status();
    assert.equal(s.isPlaying, false, "Link's API: not playing until a change is heard");
    assert.equal(s.transport, 'unknown');
    assert.equal(JSON.parse(formatJsonStatus(s, 'tick')).isPlaying, null);
    assert.match(renderScreen(s).join('\n'), /transport\s+unknown/);
    assert.equal(transportOf(a), 'unknown');
    a.startStopSyncEnabled = false;
    assert.equal(hut.status().transport, 'stopped', 'without start/stop sync the transport is our own');
  });

  it('in the session we founded, a peer joining us leaves our transport known (it was never changed by anyone else)', () => {
    const { vt, a, b, hut } = twoPeers();
    a.enable();
    vt.advance(1_000_000); // a founds its session first; b, younger, joins it
    join(vt, a, b);
    vt.advance(JOIN_SETTLE_MICROS);
    assert.equal(a.session.sessionId, a.session.nodeId, 'a founded the session');
    assert.equal(hut.status().transport, 'stopped');
    assert.equal(transportOf(b), 'unknown', 'the joiner has not heard the transport');
  });

  it('a stop heard while stopped makes it known, though isPlaying never changed', () => {
    const { vt, a, b, hut } = twoPeers();
    join(vt, a, b);
    vt.advance(JOIN_SETTLE_MICROS);
    assert.equal(hut.status().transport, 'unknown');
    let events = 0;
    a.on('playing', () => events++);
    commit(b, (s, now) => s.setIsPlaying(false, now));
    assert.ok(vt.runUntil(() => hut.status().transport === 'stopped', 1_000_000));
    assert.equal(events, 0, 'no playing event: the state is what tells');
  });

  it('space in the unknown state starts, on the next bar of the session, and says so', () => {
    const { vt, a, b, hut } = twoPeers();
    join(vt, a, b);
    vt.advance(300_000);
    assert.equal(hut.status().transport, 'unknown');
    keys(hut, ' ');
    const s = hut.status();
    assert.equal(s.transport, 'playing');
    assert.ok(isCountingIn(s), `count-in beat ${s.countInBeat}`);
    assert.match(hut.message, /^transport was unknown: start at the next bar \(in \d\.\d\d s\)$/);
    assert.ok(vt.runUntil(() => b.captureAppSessionState().isPlaying, 1_000_000), 'the peer plays');
    keys(hut, ' ');
    assert.equal(hut.status().transport, 'stopped');
    assert.equal(hut.message, 'stopped');
  });
});

describe('LinkHut count-in', () => {
  const countdown = (m: string) => Number(/start at the next bar \(in (\d+\.\d\d) s\)/.exec(m)?.[1]);

  it('the message counts down to the bar with the time, then says the start came', () => {
    const { vt, a, b, hut } = twoPeers();
    join(vt, a, b);
    commit(b, (s, now) => s.setIsPlaying(false, now)); // a known, stopped transport
    assert.ok(vt.runUntil(() => hut.status().transport === 'stopped', 1_000_000));
    vt.advance(100_000);
    keys(hut, ' ');
    const first = countdown(hut.visibleMessage());
    assert.ok(first > 0.5 && first <= 2, hut.message);
    vt.advance(400_000);
    const s = hut.status();
    const second = countdown(hut.visibleMessage(s));
    assert.ok(Math.abs(first - second - 0.4) < 0.011, `${first} s, then ${second} s 0.4 s later`);
    assert.match(renderScreen(s).join('\n'), new RegExp(`beat 0 in ${second.toFixed(2)} s`), 'the count-in row and the message agree');
    vt.advance(Math.ceil(second * 1e6));
    assert.equal(hut.visibleMessage(), 'started on the bar');
    vt.advance(3_900_000);
    assert.equal(hut.visibleMessage(), 'started on the bar', 'shown for a while after the bar');
    vt.advance(200_000);
    assert.equal(hut.visibleMessage(), '');
  });

  it('changing the quantum while playing shows no count-in; during one, the start keeps its bar', () => {
    const { vt, a, b, hut } = twoPeers();
    join(vt, a, b);
    keys(hut, ' ');
    vt.advance(Math.ceil(-hut.status().countInBeat * 500_000) + 1_300_000); // 2.6 beats after the bar
    let negative = 0;
    for (let q = 5; q <= 16; q++) {
      keys(hut, 't');
      const s = hut.status();
      assert.equal(s.quantum, q);
      if (s.beat < 0) negative++; // Link's beat for the new quantum: moved by whole beats to its phase
      assert.equal(isCountingIn(s), false, `quantum ${q}: beat ${s.beat}`);
      assert.match(renderScreen(s).join('\n'), /count-in\s+-$/m);
    }
    assert.ok(negative > 0, 'some quantum gives a negative beat (what looked like a count-in)');

    const two = twoPeers();
    join(two.vt, two.a, two.b);
    assert.ok(two.vt.runUntil(() => two.hut.status().phase > 0.1 && two.hut.status().phase < 1, 3_000_000));
    keys(two.hut, ' ');
    const before = two.hut.status();
    assert.ok(before.countInBeat < -2, `count-in ${before.countInBeat}`);
    keys(two.hut, 'r');
    const after = two.hut.status();
    assert.equal(after.quantum, 3);
    assert.ok(near(after.countInBeat, before.countInBeat), `count-in ${before.countInBeat} → ${after.countInBeat} after quantum 3`);
    const toBar = Math.round(-before.countInBeat * 500_000);
    two.vt.advance(toBar - 2000);
    assert.equal(isCountingIn(two.hut.status()), true, 'still counting in just before the bar');
    two.vt.advance(4000);
    assert.equal(isCountingIn(two.hut.status()), false, 'the start came on the bar it was for');
  });
});
