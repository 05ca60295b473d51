import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { encodeMessage } from './encode.ts';
import type { MidiMessage } from './messages.ts';
import { MidiParser, MidiStreamWarning, type MidiParserOptions } from './parser.ts';
import { SeededRandom } from '../core/prng.ts';

/** A seeded PRNG (core's mulberry32), so every run sees the same "random" bytes. */
function mulberry32(seed: number): () => number {
  const random = new SeededRandom(seed);
  return () => random.float();
}

/**
 * Random chunks of 0..15 bytes. Half the streams draw bytes uniformly; the other half favour data
 * bytes (3 in 4) so that longer messages, running status and sysex bodies actually complete.
 */
function randomChunks(seed: number, count: number): Uint8Array[] {
  const rnd = mulberry32(seed);
  const dataHeavy = seed % 2 === 0;
  const chunks: Uint8Array[] = [];
  for (let c = 0; c < count; c++) {
    const chunk = new Uint8Array(Math.floor(rnd() * 16));
    for (let i = 0; i < chunk.length; i++) {
      const r = Math.floor(rnd() * 256);
      chunk[i] = dataHeavy && rnd() < 0.75 ? r & 0x7f : r;
    }
    chunks.push(chunk);
  }
  return chunks;
}

/** Field ranges every emitted message must respect. */
function assertWellFormed(msg: MidiMessage): void {
  assert.ok(msg.data.length >= 1 && msg.data[0]! >= 0x80, 'starts with a status byte');
  for (let i = 1; i < msg.data.length; i++) {
    const b = msg.data[i]!;
    const isEox = msg.type === 'sysex' && i === msg.data.length - 1;
    assert.ok(isEox ? b === 0xf7 : b < 0x80, `byte ${i} of ${msg.type}`);
  }
  if ('channel' in msg) assert.ok(msg.channel >= 1 && msg.channel <= 16);
  assert.deepEqual(encodeMessage(msg), msg.data, `${msg.type} re-encodes to its own data`);
}

interface Run {
  msgs: MidiMessage[];
  warnings: string[];
  pushes: number;
}

function run(chunks: Uint8Array[], options: MidiParserOptions = {}): Run {
  const warnings: string[] = [];
  // The parser swallows what onWarning throws: checked after the run, not inside the callback.
  const malformed: string[] = [];
  const parser = new MidiParser({
    ...options,
    onWarning: (w) => {
      if (!(w instanceof MidiStreamWarning && w.code === 'E_DECODE')) malformed.push(`${String(w)} (code ${String((w as { code?: unknown }).code)})`);
      warnings.push(`${w.reason}@${w.offset}`);
    },
  });
  const msgs: MidiMessage[] = [];
  for (const chunk of chunks) {
    for (const m of parser.push(chunk)) msgs.push(m);
  }
  assert.deepEqual(malformed.slice(0, 3), [], 'every warning is a MidiStreamWarning with code E_DECODE');
  return { msgs, warnings, pushes: chunks.length };
}

const CHUNKS_PER_SEED = 25_000;
const SEEDS = [0x5eed, 0xbeef, 0xc0ffee, 0x1234];

describe('MidiParser fuzz (seeded)', () => {
  it(`push never throws on ${SEEDS.length * CHUNKS_PER_SEED} random chunks and every message re-encodes to its data`, () => {
    let total = 0;
    let messages = 0;
    let warned = 0;
    const seen = new Set<string>();
    for (const seed of SEEDS) {
      for (const options of [{}, { maxSysexLength: 8 }]) {
        const chunks = randomChunks(seed, CHUNKS_PER_SEED / 2);
        const result = run(chunks, options);
        total += result.pushes;
        messages += result.msgs.length;
        warned += result.warnings.length;
        for (const m of result.msgs) {
          seen.add(m.type);
          assertWellFormed(m);
        }
      }
    }
    assert.ok(total >= 100_000, `pushed ${total} chunks`);
    assert.ok(messages > 10_000, `parsed ${messages} messages`);
    assert.ok(warned > 1000, `${warned} warnings checked`);
    // The generator reaches every kind, so the checks above cover every kind.
    assert.equal(seen.size, 18, [...seen].sort().join(' '));
  });

  it('how a random stream is chunked never changes the messages or warnings', () => {
    for (const seed of SEEDS) {
      const chunks = randomChunks(seed, 2_000);
      const chunked = run(chunks, { maxSysexLength: 8 });
      const stream = Uint8Array.from(chunks.flatMap((c) => [...c]));
      const whole = run([stream], { maxSysexLength: 8 });
      assert.deepEqual(chunked.msgs, whole.msgs, `seed ${seed}`);
      assert.deepEqual(chunked.warnings, whole.warnings, `seed ${seed}`);
    }
  });
});
