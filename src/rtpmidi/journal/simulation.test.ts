/**
 * Sender → lossy channel → receiver, with the journal on and off: a seeded performance of
 * notes, controllers, programs, pitch wheel, transport, clocks and Song Position Pointer is
 * sent in packets, 5–20 % of them dropped; the receiver recovers at every gap and feeds its
 * checkpoint back (RS), itself over the same lossy channel.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../../core/prng.ts';
import { decodeJournal } from './journal-codec.ts';
import { JournalReceiver } from './receiver.ts';
import { JournalSender, type JournalMode } from './sender.ts';

/** An independent model of what a synthesizer / clock follower makes of a MIDI stream. */
class Model {
  readonly notes = Array.from({ length: 16 }, () => new Map<number, number>());
  readonly controllers = Array.from({ length: 16 }, () => new Map<number, number>());
  readonly program: Array<number | undefined> = new Array(16).fill(undefined);
  readonly pitch: Array<number | undefined> = new Array(16).fill(undefined);
  playing = false;
  clocks = 0;

  apply(d: Uint8Array): void {
    const [st = 0, a = 0, b = 0] = d;
    const ch = st & 0x0f;
    switch (st >= 0xf0 ? st : st & 0xf0) {
      case 0x80: this.notes[ch]!.delete(a); break;
      case 0x90: if (b === 0) this.notes[ch]!.delete(a); else this.notes[ch]!.set(a, b); break;
      case 0xb0: this.controllers[ch]!.set(a, b); break;
      case 0xc0: this.program[ch] = a; break;
      case 0xe0: this.pitch[ch] = a | (b << 7); break;
      case 0xf2: this.clocks = (a | (b << 7)) * 6; break;
      case 0xf8: if (this.playing) this.clocks++; break;
      case 0xfa: this.playing = true; this.clocks = 0; break;
      case 0xfb: this.playing = true; break;
      case 0xfc: this.playing = false; break;
      default: break;
    }
  }
}

const CHANNELS = [0, 1, 2, 9];
const CONTROLLERS = [1, 7, 10, 11, 64, 74];

/** The next packet's messages, drawn from what `truth` already holds. */
function nextMessages(r: SeededRandom, truth: Model): Uint8Array[] {
  const out: Uint8Array[] = [];
  if (truth.playing) out.push(Uint8Array.of(0xf8));
  const events = r.int(4);
  for (let e = 0; e < events; e++) {
    const ch = CHANNELS[r.int(CHANNELS.length)]!;
    const sounding = [...truth.notes[ch]!.keys()];
    const roll = r.int(100);
    if (roll < 35 && sounding.length < 10) out.push(Uint8Array.of(0x90 | ch, 24 + r.int(80), 1 + r.int(127)));
    else if (roll < 70 && sounding.length > 0) {
      const note = sounding[r.int(sounding.length)]!;
      out.push(r.int(2) === 0 ? Uint8Array.of(0x80 | ch, note, 64) : Uint8Array.of(0x90 | ch, note, 0));
    } else if (roll < 88) out.push(Uint8Array.of(0xb0 | ch, CONTROLLERS[r.int(CONTROLLERS.length)]!, r.int(128)));
    else if (roll < 94) out.push(Uint8Array.of(0xe0 | ch, r.int(128), r.int(128)));
    else {
      if (r.int(2) === 0) out.push(Uint8Array.of(0xb0 | ch, 0, r.int(4)), Uint8Array.of(0xb0 | ch, 32, r.int(4)));
      out.push(Uint8Array.of(0xc0 | ch, r.int(128)));
    }
  }
  if (r.int(120) === 0) {
    if (truth.playing) out.push(Uint8Array.of(0xfc));
    else if (r.int(3) === 0) out.push(Uint8Array.of(0xfa));
    else {
      const beats = r.int(2000);
      out.push(Uint8Array.of(0xf2, beats & 0x7f, beats >> 7));
      if (r.int(4) !== 0) out.push(Uint8Array.of(0xfb));
    }
  }
  return out;
}

interface Outcome {
  stuckNotes: number;
  missedNotes: number;
  wrongControllers: number;
  wrongPrograms: number;
  wrongPitch: number;
  transportWrong: boolean;
  positionWrong: boolean;
  dropped: number;
  recoveries: number;
  maxJournal: number;
  totchanAboveZero: number;
}

function simulate(seed: number, lossRate: number, mode: JournalMode, maxBytes = 1000, packets = 2500): Outcome {
  const r = new SeededRandom(seed);
  const sender = new JournalSender({ mode, maxBytes });
  const receiver = new JournalReceiver();
  const truth = new Model();
  const app = new Model();
  const feedback: Array<{ at: number; seq: number }> = [];
  let seq = 65536 - 700; // wraps during the run
  let expected: number | undefined;
  const o: Outcome = {
    stuckNotes: 0, missedNotes: 0, wrongControllers: 0, wrongPrograms: 0, wrongPitch: 0,
    transportWrong: false, positionWrong: false, dropped: 0, recoveries: 0, maxJournal: 0, totchanAboveZero: 0,
  };
  const deliver = (pseq: number, msgs: Uint8Array[], journal: Uint8Array | undefined): void => {
    if (expected !== undefined && pseq !== expected && journal) {
      o.recoveries++;
      for (const fix of receiver.recover(journal, expected, (pseq - 1) & 0xffff)) {
        receiver.observe(fix);
        app.apply(fix);
      }
    }
    for (const msg of msgs) {
      receiver.observe(msg);
      app.apply(msg);
    }
    receiver.received(pseq);
    expected = (pseq + 1) & 0xffff;
  };
  // The last packets are guard packets (no MIDI, a journal) that arrive, as RFC 4696 §4.2 sends.
  for (let i = 0; i < packets + 3; i++) {
    while (feedback.length > 0 && feedback[0]!.at <= i) sender.checkpoint(feedback.shift()!.seq);
    const msgs = i < packets ? nextMessages(r, truth) : [];
    const journal = sender.encode();
    if (journal) {
      o.maxJournal = Math.max(o.maxJournal, journal.length);
      if ((journal[0]! & 0x20) !== 0 && (journal[0]! & 0x0f) !== 0) o.totchanAboveZero++;
      decodeJournal(journal); // every journal we send decodes
    }
    for (const msg of msgs) {
      sender.record(msg, seq);
      truth.apply(msg);
    }
    if (i < packets && r.float() < lossRate) o.dropped++;
    else {
      deliver(seq, msgs, journal);
      const rs = receiver.checkpointSeq;
      if (i % 8 === 0 && rs !== undefined && r.float() >= lossRate) feedback.push({ at: i + 3, seq: rs });
    }
    seq = (seq + 1) & 0xffff;
  }
  for (const ch of CHANNELS) {
    for (const note of app.notes[ch]!.keys()) if (!truth.notes[ch]!.has(note)) o.stuckNotes++;
    for (const note of truth.notes[ch]!.keys()) if (!app.notes[ch]!.has(note)) o.missedNotes++;
    for (const [n, v] of truth.controllers[ch]!) if (app.controllers[ch]!.get(n) !== v) o.wrongControllers++;
    if (app.program[ch] !== truth.program[ch]) o.wrongPrograms++;
    if (app.pitch[ch] !== truth.pitch[ch]) o.wrongPitch++;
  }
  o.transportWrong = app.playing !== truth.playing;
  o.positionWrong = truth.playing ? app.clocks !== truth.clocks : Math.floor(app.clocks / 6) !== Math.floor(truth.clocks / 6);
  return o;
}

describe('journal simulation over a lossy channel', () => {
  for (const [seed, loss] of [[1, 0.05], [2, 0.12], [3, 0.2]] as const) {
    it(`journal on, ${loss * 100} % loss: no stuck notes; controllers, program, pitch, transport and song position right`, (t) => {
      const o = simulate(seed, loss, 'full');
      t.diagnostic(JSON.stringify(o));
      assert.ok(o.dropped > 2500 * loss * 0.6, `packets were dropped (${o.dropped})`);
      assert.ok(o.recoveries > 10, `recoveries ran (${o.recoveries})`);
      assert.equal(o.stuckNotes, 0, 'stuck notes');
      assert.equal(o.wrongControllers, 0, 'controller values');
      assert.equal(o.wrongPrograms, 0, 'programs');
      assert.equal(o.wrongPitch, 0, 'pitch wheel');
      assert.equal(o.transportWrong, false, 'playing state');
      assert.equal(o.positionWrong, false, 'song position');
      assert.ok(o.maxJournal <= 1000, `journal size ${o.maxJournal}`);
    });
  }

  it('journal off, same performance: the loss leaves stuck notes and wrong state behind', (t) => {
    const results = [[1, 0.05], [2, 0.12], [3, 0.2]].map(([seed, loss]) => simulate(seed!, loss!, 'off'));
    for (const o of results) t.diagnostic(JSON.stringify(o));
    assert.ok(results.every((o) => o.recoveries === 0 && o.maxJournal === 0), 'no journal was sent');
    assert.ok(results.every((o) => o.stuckNotes > 0), `stuck notes in every run: ${results.map((o) => o.stuckNotes).join(', ')}`);
    assert.ok(results.some((o) => o.wrongControllers + o.wrongPrograms + o.wrongPitch > 0), 'wrong channel state');
    assert.ok(results.some((o) => o.transportWrong || o.positionWrong), 'wrong transport or song position');
  });

  it("'one-channel' mode: TOTCHAN=0 in every journal, transport and song position still recovered", (t) => {
    const o = simulate(4, 0.1, 'one-channel');
    t.diagnostic(JSON.stringify(o));
    assert.equal(o.totchanAboveZero, 0);
    assert.ok(o.recoveries > 10);
    assert.equal(o.transportWrong, false, 'chapter Q still travels');
    assert.equal(o.positionWrong, false);
  });

  it('a tight size cap (64 octets) moves the checkpoint: the receiver then ends what it cannot verify, no stuck notes', (t) => {
    const o = simulate(5, 0.15, 'full', 64);
    t.diagnostic(JSON.stringify(o));
    assert.ok(o.maxJournal <= 64);
    assert.equal(o.stuckNotes, 0);
    assert.equal(o.transportWrong, false);
    assert.equal(o.positionWrong, false);
  });
});
