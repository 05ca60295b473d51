// Sequence: events on song beats and their occurrences in a range of beats, with looping.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { controlChange, noteOff, noteOn } from './encode.ts';
import { Sequence, type Occurrence } from './sequence.ts';

const B = 1_000_000; // µb per beat
const cc = (v: number) => controlChange(1, 1, v);

function occurrences(seq: Sequence, from: number, to: number, origin = 0, events?: Parameters<Sequence['collect']>[4]): Array<[number, number, number]> {
  const out: Occurrence[] = [];
  seq.collect(from, to, origin, out, events);
  return out.map((o) => [o.beat, o.data[2] as number, o.rank]);
}

test('events are kept in beat order (equal beats in the order added), with ids from 1', () => {
  const seq = new Sequence();
  const ids = [seq.add({ beat: 2 * B, data: cc(20) }), seq.add({ beat: 0, data: cc(0) }), seq.add({ beat: 2 * B, data: cc(21) }), seq.add({ beat: B, data: cc(10) })].map((e) => e.id);
  assert.deepEqual(ids, [1, 2, 3, 4]);
  assert.equal(seq.size, 4);
  assert.deepEqual(occurrences(seq, 0, 10 * B).map((o) => o[1]), [0, 10, 20, 21]);
  const added = seq.addAll([{ beat: B, data: cc(11) }, { beat: 0, data: cc(1) }]);
  assert.deepEqual(added.map((e) => e.id), [5, 6]);
  assert.deepEqual(occurrences(seq, 0, 10 * B).map((o) => o[1]), [0, 1, 10, 11, 20, 21]);
});

test('collect gives the occurrences with song beats in [from, to), as timeline beats from the origin', () => {
  const seq = new Sequence();
  for (const b of [0, 1, 2, 3]) seq.add({ beat: b * B, data: cc(b) });
  assert.deepEqual(occurrences(seq, B, 3 * B, 100 * B), [[101 * B, 1, 1], [102 * B, 2, 1]], 'to is exclusive');
  assert.deepEqual(occurrences(seq, -5 * B, B / 2), [[0, 0, 1]], 'nothing before song beat 0');
  assert.deepEqual(occurrences(seq, 3 * B, 3 * B), []);
  assert.deepEqual(occurrences(seq, 4 * B, 8 * B), [], 'no loop: nothing beyond the last event');
});

test('note-offs (and velocity-0 note-ons) rank before everything else: a repeated note re-attacks', () => {
  const seq = new Sequence();
  const on = seq.add({ beat: B, data: noteOn(1, 60, 100) });
  const off = seq.add({ beat: B, data: noteOff(1, 60) });
  seq.add({ beat: B, data: noteOn(1, 61, 0) });
  const out: Occurrence[] = [];
  seq.collect(0, 2 * B, 0, out);
  assert.deepEqual(out.map((o) => [o.rank, o.order]), [[1, on.id], [0, off.id], [0, 3]]);
  assert.equal(out[0]?.ev, on, 'an occurrence refers to its event');
});

test('remove and clear', () => {
  const seq = new Sequence();
  const a = seq.add({ beat: 0, data: cc(1) });
  seq.add({ beat: B, data: cc(2) });
  assert.equal(seq.remove(a.id), true);
  assert.equal(seq.remove(a.id), false);
  assert.deepEqual(occurrences(seq, 0, 4 * B).map((o) => o[1]), [2]);
  seq.clear();
  assert.equal(seq.size, 0);
  assert.deepEqual(occurrences(seq, 0, 4 * B), []);
  assert.equal(seq.add({ beat: 0, data: cc(3) }).id, 3, 'ids are never reused');
});

test('a loop repeats the events in [0, length) every length beats; events at or beyond the length never play', () => {
  const seq = new Sequence();
  seq.loop = { lengthBeats: 4 };
  assert.deepEqual(seq.loop, { lengthBeats: 4 });
  seq.add({ beat: 0, data: cc(0) });
  seq.add({ beat: 3.5 * B, data: cc(35) });
  seq.add({ beat: 4 * B, data: cc(40) });
  seq.add({ beat: 9 * B, data: cc(90) });
  assert.deepEqual(occurrences(seq, 0, 12 * B).map((o) => [o[0] / B, o[1]]), [[0, 0], [3.5, 35], [4, 0], [7.5, 35], [8, 0], [11.5, 35]]);
  // A range inside a later pass, crossing a loop boundary, from a song origin.
  assert.deepEqual(occurrences(seq, 7 * B, 8.5 * B, 16 * B).map((o) => o[0] / B), [23.5, 24]);
  // Many windows cover the song once: nothing twice, nothing lost.
  const all: number[] = [];
  for (let w = 0; w < 40; w++) all.push(...occurrences(seq, w * 0.3 * B, (w + 1) * 0.3 * B).map((o) => o[0]));
  assert.deepEqual(all, occurrences(seq, 0, 12 * B).map((o) => o[0]));
  seq.loop = undefined;
  assert.equal(seq.loop, undefined);
  assert.deepEqual(occurrences(seq, 0, 12 * B).map((o) => o[1]), [0, 35, 40, 90]);
});

test('a fractional loop length, and a loop length that is not positive is refused', () => {
  const seq = new Sequence();
  seq.loop = { lengthBeats: 1.5 };
  seq.add({ beat: B, data: cc(1) });
  assert.deepEqual(occurrences(seq, 0, 6 * B).map((o) => o[0] / B), [1, 2.5, 4, 5.5]);
  assert.throws(() => { seq.loop = { lengthBeats: 0 }; }, RangeError);
  assert.throws(() => { seq.loop = { lengthBeats: -4 }; }, RangeError);
  assert.throws(() => { seq.loop = { lengthBeats: Number.NaN }; }, RangeError);
  assert.deepEqual(seq.loop, { lengthBeats: 1.5 }, 'a refused loop leaves the loop as it was');
});

test('collect can be limited to given events (a live edit)', () => {
  const seq = new Sequence();
  seq.loop = { lengthBeats: 2 };
  seq.add({ beat: 0, data: cc(0) });
  const edit = seq.add({ beat: B, data: cc(1) });
  assert.deepEqual(occurrences(seq, 0, 4 * B, 0, [edit]).map((o) => [o[0] / B, o[1]]), [[1, 1], [3, 1]]);
});

test('collect over many events (binary search) returns exactly what a scan of the song returns, looped or not, batches sorted or not', () => {
  let seed = 7;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  for (const sortedBatch of [true, false]) {
    const seq = new Sequence();
    const beats = Array.from({ length: 2000 }, () => rand(64 * 4) * (B / 4));
    if (sortedBatch) beats.sort((a, b) => a - b);
    const added = seq.addAll(beats.map((beat, i) => ({ beat, data: cc(i % 128) })));
    const inOrder = [...added].sort((a, b) => a.beat - b.beat || a.id - b.id);
    const scan = (from: number, to: number, loopLen?: number) => {
      const want: Array<[number, number, number]> = [];
      if (loopLen === undefined) {
        for (const e of inOrder) if (e.beat >= Math.max(0, from) && e.beat < to) want.push([e.beat, e.data[2]!, 1]);
        return want;
      }
      for (let k = Math.floor(Math.max(0, from) / loopLen); k * loopLen < to; k++) {
        for (const e of inOrder) {
          const t = k * loopLen + e.beat;
          if (e.beat < loopLen && t >= Math.max(0, from) && t < to) want.push([t, e.data[2]!, 1]);
        }
      }
      return want;
    };
    for (let w = 0; w < 200; w++) {
      const from = rand(70 * 4) * (B / 4) - 4 * B;
      const to = from + rand(12) * (B / 4);
      assert.deepEqual(occurrences(seq, from, to), scan(from, to), `window [${from}, ${to})`);
    }
    seq.loop = { lengthBeats: 16 };
    for (let w = 0; w < 200; w++) {
      const from = rand(200 * 4) * (B / 4);
      const to = from + rand(80) * (B / 4);
      assert.deepEqual(occurrences(seq, from, to), scan(from, to, 16 * B), `looped window [${from}, ${to})`);
    }
  }
});
