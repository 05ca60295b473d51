import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SeededRandom } from './prng.ts';
import { JsonLineFramer, LineFramer, encodeJsonLine, type JsonFrame, type LineFrame } from './line-framer.ts';

const utf8 = (s: string) => new TextEncoder().encode(s);

/** Feeds `input` cut at `cuts` (sorted offsets) and returns every frame plus the final flush. */
function feed<F>(framer: { push(c: Uint8Array | string): F[]; flush(): F | undefined }, input: Uint8Array | string, cuts: number[]): F[] {
  const out: F[] = [];
  let from = 0;
  for (const cut of [...cuts, input.length]) {
    out.push(...framer.push(input.slice(from, cut)));
    from = cut;
  }
  const last = framer.flush();
  if (last !== undefined) out.push(last);
  return out;
}

describe('LineFramer', () => {
  it('splits lines, strips a trailing \\r, keeps the partial line pending', () => {
    const f = new LineFramer();
    assert.deepEqual(f.push('a\r\nb\n\nc'), [{ kind: 'line', text: 'a' }, { kind: 'line', text: 'b' }, { kind: 'line', text: '' }]);
    assert.equal(f.pending, 'c');
    assert.deepEqual(f.flush(), { kind: 'line', text: 'c' });
    assert.equal(f.pending, '');
  });

  it('a line of exactly maxLength passes; one more character is too long, reported once', () => {
    const f = new LineFramer(8);
    assert.deepEqual(f.push(`${'x'.repeat(8)}\n`), [{ kind: 'line', text: 'x'.repeat(8) }]);
    assert.deepEqual(f.push('y'.repeat(9)), [{ kind: 'too-long' }]);
    assert.equal(f.isDiscarding, true);
    assert.deepEqual(f.push('y'.repeat(1000)), []);
    assert.equal(f.flush(), undefined, 'the rest of an overlong line never becomes a line');
    assert.deepEqual(f.push('ok\n'), [{ kind: 'line', text: 'ok' }]);
  });

  it('decodes UTF-8 split anywhere, even inside a character', () => {
    const text = 'tempo ♩=120 🎵\nnext\n';
    const bytes = utf8(text);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const frames = feed(new LineFramer(), bytes, [cut]);
      assert.deepEqual(frames, [{ kind: 'line', text: 'tempo ♩=120 🎵' }, { kind: 'line', text: 'next' }], `cut at ${cut}`);
    }
  });

  it('invalid UTF-8 becomes U+FFFD, and an incomplete sequence is ended by flush', () => {
    const f = new LineFramer();
    assert.deepEqual(f.push(new Uint8Array([0x61, 0xff, 0x62, 0x0a])), [{ kind: 'line', text: 'a\ufffdb' }]);
    f.push(new Uint8Array([0x63, 0xe2, 0x99]));
    assert.deepEqual(f.flush(), { kind: 'line', text: 'c\ufffd' });
    assert.deepEqual(f.push(new Uint8Array([0x64, 0x0a])), [{ kind: 'line', text: 'd' }]);
  });

  it('reset forgets the partial line and a half-received character', () => {
    const f = new LineFramer();
    f.push(new Uint8Array([0x62, 0x70, 0x6d, 0xe2]));
    f.reset();
    assert.deepEqual(f.push(utf8('x\n')), [{ kind: 'line', text: 'x' }]);
  });

  it('chunk-boundary sweep: every split (one and two cuts) of a multi-line input gives the same frames', () => {
    const input = utf8('status\r\nbpm 120\n\n€uro line that is too long for the cap\nversion\nlast');
    const expected = feed(new LineFramer(16), input, []);
    assert.deepEqual(expected.map((x) => (x.kind === 'line' ? x.text : '<too-long>')),
      ['status', 'bpm 120', '', '<too-long>', 'version', 'last']);
    for (let i = 0; i <= input.length; i++) {
      assert.deepEqual(feed(new LineFramer(16), input, [i]), expected, `cut at ${i}`);
      for (let j = i; j <= input.length; j++) assert.deepEqual(feed(new LineFramer(16), input, [i, j]), expected, `cuts at ${i}, ${j}`);
    }
  });

  it('byte-at-a-time and all-at-once agree on random line soup (seeded)', () => {
    const rnd = new SeededRandom(7);
    for (let round = 0; round < 50; round++) {
      const parts: string[] = [];
      for (let i = 0; i < 20; i++) parts.push('ab\r\n €x'.charAt(Math.floor(rnd.float() * 8)).repeat(1 + Math.floor(rnd.float() * 12)));
      const input = utf8(parts.join(''));
      const whole = feed(new LineFramer(10), input, []);
      const single = feed(new LineFramer(10), input, Array.from({ length: input.length }, (_, k) => k));
      assert.deepEqual(single, whole, `round ${round}`);
    }
  });

  it('fuzz: random bytes in random chunks never throw and never hold more than the cap', () => {
    const rnd = new SeededRandom(42);
    for (let round = 0; round < 200; round++) {
      const f = new LineFramer(64);
      for (let chunk = 0; chunk < 20; chunk++) {
        const bytes = rnd.bytes(Math.floor(rnd.float() * 300));
        const frames: LineFrame[] = f.push(bytes);
        for (const fr of frames) if (fr.kind === 'line') assert.ok(fr.text.length <= 64);
        assert.ok(f.pending.length <= 64, `pending ${f.pending.length}`);
      }
      f.flush();
    }
  });

  it('rejects a cap that is not a positive integer', () => {
    assert.throws(() => new LineFramer(0), RangeError);
    assert.throws(() => new LineFramer(1.5), RangeError);
  });
});

describe('JsonLineFramer', () => {
  it('one value per line; blank lines are skipped; CRLF is fine', () => {
    const f = new JsonLineFramer();
    assert.deepEqual(f.push('{"event":"pause"}\r\n\n  \n[1,2]\n"s"\nnull\n4'), [
      { kind: 'value', value: { event: 'pause' } },
      { kind: 'value', value: [1, 2] },
      { kind: 'value', value: 's' },
      { kind: 'value', value: null },
    ]);
    assert.deepEqual(f.flush(), { kind: 'value', value: 4 });
  });

  it('a line that does not parse is an error frame, and framing goes on', () => {
    const f = new JsonLineFramer();
    const frames = f.push('{"a":\n{"b":2}\n');
    assert.equal(frames.length, 2);
    assert.equal(frames[0]!.kind, 'error');
    assert.equal((frames[0] as { reason: string }).reason, 'parse');
    assert.match((frames[0] as { message: string }).message, /^not JSON \(.*\): \{"a":$/);
    assert.deepEqual(frames[1], { kind: 'value', value: { b: 2 } });
  });

  it('a line over the cap is one too-long error frame, never stored', () => {
    const f = new JsonLineFramer(32);
    const frames = f.push(`{"x":"${'a'.repeat(100)}`);
    assert.deepEqual(frames.map((x) => x.kind === 'error' && x.reason), ['too-long']);
    assert.deepEqual(f.push(`${'a'.repeat(100_000)}"}\n{"ok":true}\n`), [{ kind: 'value', value: { ok: true } }]);
  });

  it('error messages are printable and short, whatever the line held', () => {
    const f = new JsonLineFramer();
    const [frame] = f.push(`\u0000\u001b[31m${'z'.repeat(500)}\n`) as [JsonFrame];
    assert.equal(frame.kind, 'error');
    const message = (frame as { message: string }).message;
    assert.doesNotMatch(message, /[\u0000-\u001f]/);
    assert.ok(message.length < 160, message);
  });

  it('absurd nesting is an error frame, not a crash', () => {
    const f = new JsonLineFramer(4 * 1024 * 1024);
    const deep = `${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}\n`;
    const frames = f.push(deep);
    assert.equal(frames.length, 1);
  });

  it('chunk-boundary sweep: every split gives the same values and errors', () => {
    const input = utf8('{"request_id":1,"error":"success","data":"é🎵"}\n\n{broken\n{"event":"seek"}\n[1,\n2]\n');
    const expected = feed(new JsonLineFramer(40), input, []);
    assert.deepEqual(expected.map((x) => x.kind === 'value' ? JSON.stringify(x.value) : x.reason),
      ['too-long', 'parse', '{"event":"seek"}', 'parse', 'parse']);
    for (let i = 0; i <= input.length; i++) {
      for (let j = i; j <= input.length; j++) assert.deepEqual(feed(new JsonLineFramer(40), input, [i, j]), expected, `cuts at ${i}, ${j}`);
    }
  });

  it('fuzz: random bytes and mangled JSON never throw', () => {
    const rnd = new SeededRandom(99);
    const valid = utf8(`${encodeJsonLine({ command: ['observe_property', 1, 'time-pos'], request_id: 7 })}${encodeJsonLine({ event: 'property-change', data: 1.5 })}`);
    for (let round = 0; round < 300; round++) {
      const f = new JsonLineFramer(256);
      const junk = round % 2 === 0 ? rnd.bytes(Math.floor(rnd.float() * 600)) : valid.map((b) => (rnd.float() < 0.05 ? Math.floor(rnd.float() * 256) : b));
      let from = 0;
      while (from < junk.length) {
        const n = 1 + Math.floor(rnd.float() * 64);
        for (const fr of f.push(junk.subarray(from, from + n))) assert.ok(fr.kind === 'value' || fr.kind === 'error');
        from += n;
      }
      f.flush();
    }
  });

  it('encodeJsonLine writes one line that reads back as the same value', () => {
    const value = { text: 'two\nlines\r\n and \u2028', n: [1, -0.5, null], nested: { ok: true } };
    const line = encodeJsonLine(value);
    assert.equal(line.indexOf('\n'), line.length - 1);
    assert.deepEqual(new JsonLineFramer().push(line), [{ kind: 'value', value }]);
    assert.throws(() => encodeJsonLine(undefined), TypeError);
    assert.throws(() => encodeJsonLine(1n), TypeError);
  });
});
