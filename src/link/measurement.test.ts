import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualTime } from '../testing/virtual-time.ts';
import { decodeMeasurement, PONG } from './measurement-codec.ts';
import { Measurement, MAX_RETRIES, RETRY_MICROS, type MeasurementResult } from './measurement.ts';

const SESSION = '00000000000000aa';

/** A measurement whose pings are collected; `answer` makes a pong for the last one. */
function setup() {
  const vt = new VirtualTime();
  const sent: Array<{ hostTime: number; prevGhostTime?: number }> = [];
  let result: MeasurementResult | undefined;
  const m = new Measurement({ clock: vt, timers: vt, send: (d) => sent.push(decodeMeasurement(d) as never) }, { address: '10.0.0.2', port: 5 }, SESSION, (r) => (result = r));
  const answer = (ghost: number, over: object = {}) => {
    const ping = sent[sent.length - 1]!;
    return m.onPong({ type: PONG, sessionId: SESSION, ghostTime: ghost, hostTime: ping.hostTime, ...(ping.prevGhostTime !== undefined ? { prevGhostTime: ping.prevGhostTime } : {}), ...over });
  };
  return { vt, m, sent, answer, result: () => result };
}

test('a pong echoing a host time we never sent is ignored and changes nothing', () => {
  const { m, sent, answer, result } = setup();
  m.start();
  assert.equal(answer(123, { hostTime: sent[0]!.hostTime + 1 }), false);
  assert.equal(sent.length, 1, 'no chained ping for a forged pong');
  assert.equal(answer(2 ** 53 - 1), false, 'a ghost time outside the envelope is refused');
  assert.equal(result(), undefined);
  assert.equal(answer(5_000_000), true);
  assert.equal(sent.length, 2);
});

test('a measurement completes with an estimate and an uncertainty', () => {
  const { vt, m, answer, result } = setup();
  m.start();
  for (let i = 0; i < 60 && !result(); i++) {
    vt.advance(100); // a 100 µs round trip, responder ghost = host + 1 000 000
    answer(vt.micros() - 50 + 1_000_000);
  }
  const r = result();
  assert.ok(r?.ok, JSON.stringify(r));
  assert.ok(Math.abs(r.intercept - 1_000_000) <= 1, `intercept ${r.intercept}`);
  assert.ok(r.uncertaintyMicros >= 0 && r.uncertaintyMicros <= 50, `uncertainty ${r.uncertaintyMicros}`);
});

test('a timer that fired during an event-loop stall does not spend the retry budget before queued pongs are read', () => {
  // Timers fired by hand, like an event loop: a timer armed while one runs waits for the next turn.
  let now = 1_000_000;
  const armed: Array<{ at: number; fn: () => void; cancelled: boolean }> = [];
  const timers = { setTimeout: (fn: () => void, d: number) => { const t = { at: now + d, fn, cancelled: false }; armed.push(t); return { cancel: () => { t.cancelled = true; } }; } };
  const fireDue = () => { for (const t of armed.splice(0)) if (!t.cancelled && t.at <= now) t.fn(); else if (!t.cancelled) armed.push(t); };
  const sent: Array<{ hostTime: number }> = [];
  let result: MeasurementResult | undefined;
  const m = new Measurement({ clock: { micros: () => now }, timers, send: (d) => sent.push(decodeMeasurement(d) as never) }, { address: '10.0.0.2', port: 5 }, SESSION, (r) => (result = r));
  m.start();
  now += 200_000; // the loop stalled 200 ms; a pong arrived meanwhile and waits behind the timer
  fireDue();
  assert.equal(sent.length, 1, 'no retry yet: the late timer looks again after pending I/O');
  assert.equal(m.onPong({ type: PONG, sessionId: SESSION, ghostTime: 7_000_000, hostTime: sent[0]!.hostTime }), true);
  assert.equal(sent.length, 2, 'the queued pong chained the next ping');
  fireDue();
  assert.equal(sent.length, 2, 'the grace timer was cancelled by the pong');
  assert.equal(result, undefined);
  // A timer late again with nothing queued does count: after the grace turn, a retry goes out.
  now += 200_000;
  fireDue();
  fireDue();
  assert.equal(sent.length, 3);
});

test('without pongs a measurement fails after the retry budget, reporting how many pongs it had', () => {
  const { vt, m, sent, result } = setup();
  m.start();
  vt.advance(RETRY_MICROS * (MAX_RETRIES + 2));
  assert.equal(sent.length, 1 + MAX_RETRIES);
  const r = result();
  assert.ok(r && !r.ok && r.pongs === 0, JSON.stringify(r));
});

test('a send that throws fails the measurement instead of escaping', () => {
  const vt = new VirtualTime();
  let result: MeasurementResult | undefined;
  const m = new Measurement({ clock: vt, timers: vt, send: () => { throw new RangeError('ERR_SOCKET_BAD_PORT'); } }, { address: '10.0.0.2', port: 0 }, SESSION, (r) => (result = r));
  assert.doesNotThrow(() => m.start());
  assert.ok(result && !result.ok && /BAD_PORT/.test(result.reason));
});

test('a measurement whose budget runs out with enough samples completes with them', () => {
  const { vt, m, answer, result } = setup();
  m.start();
  for (let i = 0; i < 25; i++) { // 25 pongs → 49 samples, then silence
    vt.advance(100);
    answer(vt.micros() - 50 + 3_000_000);
  }
  vt.advance(RETRY_MICROS * (MAX_RETRIES + 2));
  const r = result();
  assert.ok(r?.ok, JSON.stringify(r));
  assert.ok(r.samples >= 40 && Math.abs(r.intercept - 3_000_000) <= 1);
});
