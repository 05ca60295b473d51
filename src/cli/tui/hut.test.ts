// The live view's key bindings on real LinkPeers over VirtualTime + FakeNetwork.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LinkPeer } from '../../link/link-peer.ts';
import { FakeNetwork } from '../../testing/fake-network.ts';
import { VirtualTime } from '../../testing/virtual-time.ts';
import { LinkHut } from './hut.ts';

function setup(peers = 1) {
  const vt = new VirtualTime();
  const net = new FakeNetwork(vt);
  const links = Array.from({ length: peers }, (_, i) =>
    new LinkPeer(net.addHost({ name: `h${i}` }).runtime, { bpm: 120, startStopSync: true }));
  const hut = new LinkHut(links[0]!, { quantum: 4 });
  return { vt, links, hut, link: links[0]! };
}

const keys = (hut: LinkHut, s: string) => [...s].map((k) => hut.key(k));

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
