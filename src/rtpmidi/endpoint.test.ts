// Scenario tests of the AppleMIDI session layer on VirtualTime + FakeNetwork: the invitation
// handshake in both roles, rejection, retries, BY, silence, re-invitation after a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PhaselockError } from '../core/errors.ts';
import { commandsSent, rtpWorld } from '../../test/rtpmidi/scenario.ts';
import { encodeAppleMidi } from './session-codec.ts';
import type { RtpMidiSession } from './session.ts';

test('an invitation is answered on the control port, then on the data port, and both sides hold one session', async () => {
  const w = rtpWorld();
  const { a, b, sa, sb } = await w.pair();
  assert.equal(sa.role, 'initiator');
  assert.equal(sb.role, 'responder');
  assert.equal(sa.remoteName, 'bob');
  assert.equal(sb.remoteName, 'alice');
  assert.equal(sa.remoteSsrc, sb.localSsrc);
  assert.equal(sb.remoteSsrc, sa.localSsrc);
  assert.notEqual(sa.localSsrc, sb.localSsrc);
  assert.equal(sb.remotePort, a.ep.port);
  assert.deepEqual(a.ep.sessions, [sa]);
  assert.deepEqual(b.ep.sessions, [sb]);
  const handshake = commandsSent(w.net.sent).filter((c) => c.cmd.kind === 'IN' || c.cmd.kind === 'OK');
  assert.deepEqual(handshake.map((c) => `${c.cmd.kind}>${c.d.to.port}`), [
    'IN>5004', `OK>${a.ep.port}`, 'IN>5005', `OK>${a.ep.port + 1}`,
  ]);
  const [inControl, , inData] = handshake;
  assert.equal(inControl?.cmd.kind === 'IN' && inControl.cmd.token, inData?.cmd.kind === 'IN' && inData.cmd.token, 'one token for both ports');
  assert.deepEqual(a.warnings, []);
  assert.deepEqual(b.warnings, []);
  await a.ep.close();
  await b.ep.close();
});

test('a responder that says no makes the invitation reject with E_PROTOCOL naming it', async () => {
  const w = rtpWorld();
  const a = await w.add('alice');
  const seen: string[] = [];
  const b = await w.add('bob', { port: 5004, accept: (inv) => { seen.push(`${inv.name}@${inv.address}`); return false; } });
  await assert.rejects(w.settle(a.ep.invite(b.host.address, 5004)), (err: PhaselockError) => {
    assert.equal(err.code, 'E_PROTOCOL');
    assert.match(err.message, /rejected by 'bob'/);
    return true;
  });
  assert.deepEqual(seen, [`alice@${a.host.address}`]);
  assert.equal(b.ep.sessions.length, 0);
  assert.equal(commandsSent(w.net.sent, { kind: 'NO' }).length, 1);
  assert.ok(b.warnings.some((m) => /not accepted/.test(m)));
  await a.ep.close();
  await b.ep.close();
});

test('an unanswered invitation goes out 12 times, a second apart, then rejects with E_TIMEOUT', async () => {
  const w = rtpWorld();
  const a = await w.add('alice');
  const nobody = w.net.addHost({ name: 'nobody' });
  const started = w.vt.micros();
  await assert.rejects(w.settle(a.ep.invite(nobody.address, 5004), 30_000_000, 100_000), (err: PhaselockError) => err.code === 'E_TIMEOUT');
  const ins = commandsSent(w.net.sent, { kind: 'IN' });
  assert.equal(ins.length, 12);
  ins.forEach((c, i) => assert.equal(c.d.time - started, i * 1_000_000, `IN #${i + 1} at ${i} s`));
  assert.ok(ins.every((c) => c.d.to.port === 5004));
  await a.ep.close();
});

test('invite timeoutMicros gives up sooner', async () => {
  const w = rtpWorld();
  const a = await w.add('alice');
  const nobody = w.net.addHost({ name: 'nobody' });
  await assert.rejects(w.settle(a.ep.invite(nobody.address, 5004, { timeoutMicros: 2_500_000 }), 5_000_000), /timed out after 2500 ms/);
  assert.equal(commandsSent(w.net.sent, { kind: 'IN' }).length, 3);
  await a.ep.close();
});

test('a lost OK is made up for: the repeated IN is answered again and one session results', async () => {
  const w = rtpWorld();
  const a = await w.add('alice');
  const b = await w.add('bob', { port: 5004 });
  w.net.cut(a.host, b.host);
  const invited = a.ep.invite(b.host.address, 5004);
  await w.run(500_000);
  w.net.heal();
  const session = await w.settle(invited);
  assert.equal(session.remoteName, 'bob');
  assert.equal(b.ep.sessions.length, 1);
  await a.ep.close();
  await b.ep.close();
});

test('the responder takes the IN on the data port first too (either port, matched by token)', async () => {
  const w = rtpWorld();
  const b = await w.add('bob', { port: 5004 });
  const stranger = w.net.addHost({ name: 'rtpmidid' });
  const inv = (name: string) => encodeAppleMidi({ kind: 'IN', version: 2, token: 0x1234, ssrc: 0x632e, name });
  w.net.inject(b.host, 5005, inv('x'), { address: stranger.address, port: 6001 });
  w.net.inject(b.host, 5004, inv('x'), { address: stranger.address, port: 6000 });
  await w.run(100_000);
  assert.equal(b.ep.sessions.length, 1);
  const s = b.ep.sessions[0] as RtpMidiSession;
  assert.equal(s.remotePort, 6000);
  assert.equal(commandsSent(w.net.sent, { kind: 'OK' }).length, 2);
  await b.ep.close();
});

test('beyond maxSessions an invitation gets NO', async () => {
  const w = rtpWorld();
  const b = await w.add('bob', { port: 5004, maxSessions: 1 });
  const a1 = await w.add('a1');
  const a2 = await w.add('a2');
  await w.settle(a1.ep.invite(b.host.address, 5004));
  await assert.rejects(w.settle(a2.ep.invite(b.host.address, 5004)), /rejected by 'bob'/);
  assert.equal(b.ep.sessions.length, 1);
  assert.ok(b.warnings.some((m) => /maxSessions/.test(m)));
  for (const p of [a1, a2, b]) await p.ep.close();
});

test('closing a session sends BY on both ports and ends the peer\'s session with reason "bye"', async () => {
  const w = rtpWorld();
  const { a, b, sa, sb } = await w.pair();
  const reasons: string[] = [];
  sa.on('close', (r) => reasons.push(`a:${r}`));
  sb.on('close', (r) => reasons.push(`b:${r}`));
  const warnings: string[] = [];
  b.ep.on('warning', (e) => warnings.push(e.message));
  await sa.close();
  await w.run(10_000);
  assert.deepEqual(reasons, ['a:closed', 'b:bye']);
  assert.deepEqual(warnings, [], 'the second BY (the other port) finds the session just ended: dropped quietly');
  const byes = commandsSent(w.net.sent, { kind: 'BY', from: a.host.address });
  assert.deepEqual(byes.map((c) => c.d.to.port).sort(), [5004, 5005]);
  assert.equal(a.ep.sessions.length, 0);
  assert.equal(b.ep.sessions.length, 0);
  await sa.close(); // idempotent
  await a.ep.close();
  await b.ep.close();
});

test('endpoint close ends every session with BY and rejects pending invitations with E_CLOSED', async () => {
  const w = rtpWorld();
  const { a, b, sb } = await w.pair();
  const nobody = w.net.addHost({ name: 'nobody' });
  const pending = assert.rejects(a.ep.invite(nobody.address, 5004), (err: PhaselockError) => err.code === 'E_CLOSED');
  const closed: string[] = [];
  sb.on('close', (r) => closed.push(r));
  await w.settle(a.ep.close());
  await pending;
  await w.run(10_000);
  assert.deepEqual(closed, ['bye']);
  await assert.rejects(a.ep.invite(b.host.address, 5004), (err: PhaselockError) => err.code === 'E_CLOSED');
  await b.ep.close();
});

test('a peer gone silent ends the responder\'s session after 60 s with reason "timeout"', async () => {
  const w = rtpWorld();
  const { a, b, sb } = await w.pair({ reinvite: false });
  const closed: string[] = [];
  sb.on('close', (r) => closed.push(r));
  w.net.cut(a.host, b.host);
  await w.run(59_000_000, 1_000_000);
  assert.deepEqual(closed, []);
  await w.run(12_000_000, 1_000_000);
  assert.deepEqual(closed, ['timeout']);
  assert.equal(b.ep.sessions.length, 0);
  await a.ep.close();
  await b.ep.close();
});

test('an initiator whose peer stays unreachable invites it again with backoff, then ends with "timeout"', async () => {
  const w = rtpWorld();
  const { a, b, sa } = await w.pair({ reinvite: { attempts: 2, backoffMicros: 1_000_000 } });
  const events: string[] = [];
  sa.on('state', (s) => events.push(s));
  sa.on('close', (r) => events.push(`close:${r}`));
  w.net.cut(a.host, b.host);
  assert.ok(await w.until(() => events.includes('close:timeout'), 120_000_000, 100_000));
  assert.deepEqual(events, ['reconnecting', 'close:timeout']);
  // Two re-invitations of 12 INs each to the control port, after the first invitation's one.
  const ins = commandsSent(w.net.sent, { kind: 'IN', from: a.host.address }).filter((c) => c.d.to.port === 5004);
  assert.equal(ins.length, 1 + 2 * 12);
  await a.ep.close();
  await b.ep.close();
});

test('after the responder restarts (no BY reached us), the initiator invites it again and the same session goes on', async () => {
  const w = rtpWorld();
  const { a, b, sa } = await w.pair({}, {});
  const events: string[] = [];
  sa.on('state', (s) => events.push(s));
  sa.on('close', (r) => events.push(`close:${r}`));
  // The responder dies: its BY never arrives.
  w.net.cut(a.host, b.host);
  await b.ep.close();
  w.net.heal();
  await w.run(2_000_000, 100_000);
  const b2 = await w.add('bob2', { port: 5004 }, { host: b.host });
  assert.ok(await w.until(() => events.includes('open'), 60_000_000, 100_000), `events: ${events.join(', ')}`);
  assert.deepEqual(events, ['reconnecting', 'open']);
  assert.equal(sa.state, 'open');
  assert.equal(sa.remoteName, 'bob2');
  assert.equal(b2.ep.sessions.length, 1);
  assert.equal(sa.remoteSsrc, b2.ep.sessions[0]?.localSsrc);
  assert.equal(b2.ep.sessions[0]?.remoteSsrc, sa.localSsrc, 'the same SSRC of ours in the new session');
  // And MIDI flows again.
  const got: string[] = [];
  b2.sessions[0]?.on('message', (e) => got.push([...e.data].join(',')));
  sa.send(Uint8Array.of(0x90, 60, 100));
  await w.run(100_000);
  assert.deepEqual(got, ['144,60,100']);
  await a.ep.close();
  await b2.ep.close();
});

test('an initiator that restarts replaces its old session at the responder', async () => {
  const w = rtpWorld();
  const { a, b, sb } = await w.pair();
  const closed: string[] = [];
  sb.on('close', (r) => closed.push(r));
  const port = a.ep.port;
  w.net.cut(a.host, b.host);
  await a.ep.close();
  w.net.heal();
  const a2 = await w.add('alice', { port }, { host: a.host });
  const sa2 = await w.settle(a2.ep.invite(b.host.address, 5004));
  await w.run(10_000);
  assert.deepEqual(closed, ['replaced']);
  assert.equal(b.ep.sessions.length, 1);
  assert.equal(b.ep.sessions[0]?.remoteSsrc, sa2.localSsrc);
  await a2.ep.close();
  await b.ep.close();
});

test('open finds a free pair when port is 0, trying another control port when N+1 is taken', async () => {
  const w = rtpWorld();
  const host = w.net.addHost({ name: 'h' });
  const { RtpMidiEndpoint } = await import('./endpoint.ts');
  const ep = new RtpMidiEndpoint(host.runtime, { name: 'x' });
  const opened = ep.open();
  await w.run(0);
  // The control socket is bound; make the data bind fail once.
  w.net.failBinds(host, 1);
  await w.settle(opened);
  assert.ok(ep.port > 0);
  await ep.close();
  const fixed = new RtpMidiEndpoint(host.runtime, { name: 'y', port: 5004 });
  w.net.failBinds(host, 1);
  await assert.rejects(w.settle(fixed.open()), (err: PhaselockError) => err.code === 'E_SOCKET');
  await fixed.close();
});

test('bad options throw at once', async () => {
  const w = rtpWorld();
  const host = w.net.addHost({ name: 'h' });
  const { RtpMidiEndpoint } = await import('./endpoint.ts');
  assert.throws(() => new RtpMidiEndpoint(host.runtime, { name: 'a\u0000b' }), RangeError);
  assert.throws(() => new RtpMidiEndpoint(host.runtime, { name: 'a', port: 65535 }), RangeError);
  assert.throws(() => new RtpMidiEndpoint(host.runtime, { name: 'a', maxSessions: 0 }), RangeError);
  const ep = new RtpMidiEndpoint(host.runtime, { name: 'a' });
  assert.throws(() => ep.invite('127.0.0.1', 0), RangeError);
  await assert.rejects(ep.invite('127.0.0.1', 5004), (err: PhaselockError) => err.code === 'E_STATE');
});

test('inviting the same peer twice (at once, or once it is open) gives the one session: the peer would replace the first by the second', async () => {
  const w = rtpWorld();
  const a = await w.add('alice');
  const b = await w.add('bob', { port: 5004 });
  const [s1, s2] = await w.settle(Promise.all([a.ep.invite(b.host.address, 5004), a.ep.invite(b.host.address, 5004)]));
  assert.equal(s1, s2);
  assert.equal(await w.settle(a.ep.invite(b.host.address, 5004)), s1);
  await w.run(3_000_000);
  assert.equal(a.ep.sessions.length, 1);
  assert.equal(b.ep.sessions.length, 1);
  assert.equal(s1.state, 'open');
  const ins = commandsSent(w.net.sent, { kind: 'IN', from: a.host.address });
  assert.equal(ins.length, 2, 'one invitation: control and data');
  await a.ep.close();
  await b.ep.close();
});
