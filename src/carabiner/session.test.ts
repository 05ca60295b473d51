// CarabinerSession on VirtualTime + FakeNetwork: real LinkPeers, no sockets, no sleeping.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LinkPeer } from '../link/link-peer.ts';
import { FakeNetwork } from '../testing/fake-network.ts';
import { VirtualTime } from '../testing/virtual-time.ts';
import { PhaselockError } from '../core/errors.ts';
import { CarabinerSession } from './session.ts';

function setup(names = ['a']) {
  const vt = new VirtualTime();
  const net = new FakeNetwork(vt);
  const links = names.map((name) => new LinkPeer(net.addHost({ name }).runtime, { bpm: 120 }));
  const link = links[0]!;
  const client = (l = link) => {
    const lines: string[] = [];
    let buffered = '';
    const session = new CarabinerSession({
      link: l,
      timers: vt,
      send: (text) => {
        assert.ok(text.endsWith('\n'), `response without newline: ${JSON.stringify(text)}`);
        buffered += text;
        const parts = buffered.split('\n');
        buffered = parts.pop()!;
        lines.push(...parts);
      },
    }).open();
    /** Sends text and returns the lines it produced (microtasks included). */
    const say = async (text: string) => {
      const from = lines.length;
      session.receive(text);
      await Promise.resolve();
      return lines.slice(from);
    };
    return { session, lines, say };
  };
  return { vt, net, links, link, client };
}

/** The edn map of a response line as a plain object (numbers, booleans). */
function fields(line: string | undefined): Record<string, number | boolean> {
  const m = /^[a-z-]+ \{ (.*) \}$/.exec(line ?? '');
  assert.ok(m, `not a map response: ${line}`);
  const out: Record<string, number | boolean> = {};
  const tokens = m[1]!.split(' ');
  for (let i = 0; i < tokens.length; i += 2) {
    const v = tokens[i + 1]!;
    out[tokens[i]!.slice(1)] = v === 'true' ? true : v === 'false' ? false : Number(v);
  }
  return out;
}

describe('CarabinerSession', () => {
  it('greets with a status line of peers, bpm, start and beat (no :playing without start/stop sync)', () => {
    const { client, link, vt } = setup();
    const { lines } = client();
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /^status \{ :peers 0 :bpm 120\.000000 :start -?\d+ :beat -?\d+\.\d{6} \}$/);
    const s = link.captureAppSessionState();
    const f = fields(lines[0]);
    assert.equal(f.start, s.timeAtBeat(0, 4));
    assert.ok(Math.abs((f.beat as number) - s.beatAtTime(vt.micros(), 4)) < 1e-6);
  });

  it('bpm: a change answers one status with the new tempo; the same tempo again is silent', async () => {
    const { client } = setup();
    const c = client();
    const changed = await c.say('bpm 140\n');
    assert.equal(changed.length, 1);
    assert.equal(fields(changed[0]).bpm, 140);
    assert.deepEqual(await c.say('bpm 140.0\n'), []);
    assert.deepEqual(await c.say('bpm 1000\n'), ['bad-bpm 1000']);
  });

  it('beat-at-time, phase-at-time and time-at-beat agree with the session and with each other', async () => {
    const { client, link, vt } = setup();
    const c = client();
    const t = vt.micros() + 1_234_567;
    const s = link.captureAppSessionState();
    const [beatLine] = await c.say(`beat-at-time ${t} 4\n`);
    assert.deepEqual(fields(beatLine), { when: t, quantum: 4, beat: Number(s.beatAtTime(t, 4).toFixed(6)) });
    const [phaseLine] = await c.say(`phase-at-time ${t} 3\n`);
    assert.deepEqual(fields(phaseLine), { when: t, quantum: 3, phase: Number(s.phaseAtTime(t, 3).toFixed(6)) });
    const [timeLine] = await c.say('time-at-beat 100 4\n');
    assert.deepEqual(fields(timeLine), { beat: 100, quantum: 4, when: s.timeAtBeat(100, 4) });
    const [zero] = await c.say('time-at-beat 0 4\n');
    assert.equal(fields(zero).when, fields(c.lines[0]).start, 'README: time-at-beat 0 4 equals :start');
  });

  it('force-beat-at-time re-maps the timeline and answers status with the new :start', async () => {
    const { client, vt } = setup();
    const c = client();
    const t = vt.micros() + 2_000_000;
    const [status] = await c.say(`force-beat-at-time 1.0 ${t} 4\n`);
    assert.match(status!, /^status /);
    const [beat] = await c.say(`beat-at-time ${t} 4\n`);
    assert.equal(fields(beat).beat, 1);
    // 120 bpm: beat 0 half a second before beat 1.
    assert.equal(fields(status).start, t - 500_000);
  });

  it('request-beat-at-time alone behaves like force-beat-at-time', async () => {
    const { client, vt } = setup();
    const c = client();
    const t = vt.micros() + 3_000_000;
    const [status] = await c.say(`request-beat-at-time 2 ${t} 4\n`);
    assert.equal(fields(status).start, t - 1_000_000);
  });

  it('start/stop sync: :playing appears, transport changes reach every client, and disappears again', async () => {
    const { client, vt } = setup();
    const a = client();
    const b = client();
    const [enabled] = await a.say('enable-start-stop-sync\n');
    assert.equal(fields(enabled).playing, false);
    const fromB = b.lines.length;
    const [started] = await a.say(`start-playing ${vt.micros()}\n`);
    assert.equal(fields(started).playing, true);
    assert.equal(a.lines.length, 3, 'exactly one status for the requester');
    assert.deepEqual(b.lines.slice(fromB).map((l) => fields(l).playing), [true], 'one unsolicited status for the other client');
    const [disabled] = await a.say('disable-start-stop-sync\n');
    assert.equal('playing' in fields(disabled), false);
    const fromB2 = b.lines.length;
    await a.say(`stop-playing ${vt.micros()}\n`);
    assert.equal(b.lines.length, fromB2, 'no transport statuses without start/stop sync');
  });

  it('sends every client a status when the number of peers changes', () => {
    const { client, links, vt } = setup(['a', 'b']);
    const [a, b] = links as [LinkPeer, LinkPeer];
    const c = client(a);
    a.enable();
    b.enable();
    assert.ok(vt.runUntil(() => a.numPeers === 1, 3_000_000));
    return Promise.resolve().then(() => {
      assert.ok(c.lines.some((l) => l.startsWith('status { :peers 1 ')), c.lines.join('\n'));
    });
  });

  it('answers version and unsupported, handles several commands per packet and a command split over packets', async () => {
    const { client } = setup();
    const c = client();
    assert.deepEqual(await c.say('version\nfoo bar\nbpm 13'), ['version "1.1.6"', 'unsupported foo']);
    const out = await c.say('0\nstatus\n');
    assert.equal(out.length, 2);
    assert.equal(fields(out[0]).bpm, 130);
    assert.equal(fields(out[1]).bpm, 130);
  });

  it('runs a command sent without newline after a quiet pause (pre-1.1.0 clients)', async () => {
    const { client, vt } = setup();
    const c = client();
    assert.deepEqual(await c.say('status'), []);
    vt.advance(199_000);
    assert.equal(c.lines.length, 1);
    vt.advance(2_000);
    assert.equal(c.lines.length, 2);
    assert.match(c.lines[1]!, /^status /);
  });

  it('answers line-too-long for an overlong line and keeps serving', async () => {
    const { client } = setup();
    const c = client();
    assert.deepEqual(await c.say(`bpm ${'9'.repeat(5000)}`), ['line-too-long 1024']);
    assert.deepEqual(await c.say(`${'9'.repeat(5000)}\nversion\n`), ['version "1.1.6"']);
  });

  it('close drops a partial line, never runs it, and unsubscribes from the link', async () => {
    const { client, link, vt } = setup();
    const before = link.listenerCount('tempo');
    const c = client();
    assert.equal(link.listenerCount('tempo'), before + 1);
    await c.say('bpm 15');
    await c.session.close();
    vt.advance(1_000_000);
    assert.equal(link.captureAppSessionState().tempo, 120);
    assert.equal(c.lines.length, 1);
    assert.equal(link.listenerCount('tempo'), before);
    assert.equal(link.listenerCount('peers'), 0);
    assert.equal(link.listenerCount('playing'), 0);
  });

  it('answers bad-beat for a beat whose time would not be a safe integer', async () => {
    const { client } = setup();
    const c = client();
    assert.deepEqual(await c.say('time-at-beat 2e9 4\n'), ['bad-beat 2e9 4']);
    assert.match((await c.say('time-at-beat -1e9 4\n'))[0]!, /^time-at-beat \{ :beat -1000000000\.000000 /);
  });

  it('lifecycle: the constructor sends nothing and subscribes to nothing; open() greets once; closed throws E_CLOSED', async () => {
    const { link, vt } = setup();
    const sent: string[] = [];
    const session = new CarabinerSession({ link, timers: vt, send: (t) => sent.push(t) });
    assert.deepEqual(sent, []);
    assert.equal(link.listenerCount('tempo'), 0);
    assert.throws(() => session.receive('status\n'), (e) => e instanceof PhaselockError && e.code === 'E_STATE');
    assert.equal(session.open(), session);
    session.open();
    assert.equal(sent.length, 1, 'one greeting');
    await session.close();
    await session.close();
    assert.throws(() => session.receive('status\n'), (e) => e instanceof PhaselockError && e.code === 'E_CLOSED');
    assert.throws(() => session.open(), (e) => e instanceof PhaselockError && e.code === 'E_CLOSED');
  });

  it('close sends the status a change still owes (coalesced, not yet out), then nothing more', async () => {
    const { client, link } = setup();
    const c = client();
    const s = link.captureAppSessionState();
    s.setTempo(140, link.clock.micros());
    link.commitAppSessionState(s); // its status line waits for a microtask
    await c.session.close();
    await Promise.resolve();
    assert.equal(c.lines.length, 2);
    assert.equal(fields(c.lines[1]).bpm, 140);
  });

  it('a failure in the quiet-pause flush goes to onError instead of the timer', async () => {
    const { link, vt } = setup();
    const errors: Error[] = [];
    const session = new CarabinerSession({ link, timers: vt, send: () => undefined, onError: (e) => errors.push(e) }).open();
    session.receive('bpm 130');
    link.commitAppSessionState = () => { throw new Error('bug'); };
    vt.advance(300_000);
    assert.deepEqual(errors.map((e) => e.message), ['bug']);
  });
});
