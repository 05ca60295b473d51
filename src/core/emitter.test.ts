import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Emitter } from './emitter.ts';

class Box extends Emitter<{ ping: [n: number] }> {
  fire(n: number): void {
    this.emit('ping', n);
  }
}

test('a once listener fires on the next event only', () => {
  const box = new Box();
  const got: number[] = [];
  box.once('ping', (n) => got.push(n));
  box.fire(1);
  box.fire(2);
  assert.deepEqual(got, [1]);
  assert.equal(box.listenerCount('ping'), 0);
});

test('off removes a once listener by the function that was registered', () => {
  const box = new Box();
  const got: number[] = [];
  const fn = (n: number) => got.push(n);
  box.once('ping', fn);
  box.off('ping', fn);
  box.fire(1);
  assert.deepEqual(got, []);
  assert.equal(box.listenerCount('ping'), 0);
});

test('a listener that throws does not stop the others; the error goes to onListenerError', () => {
  const errors: unknown[] = [];
  class Reporting extends Box {
    protected override onListenerError(err: unknown): void {
      errors.push(err);
    }
  }
  const box = new Reporting();
  const got: number[] = [];
  box.on('ping', () => { throw new Error('boom'); });
  box.on('ping', (n) => got.push(n));
  box.fire(3);
  assert.deepEqual(got, [3]);
  assert.match(String(errors[0]), /boom/);
});
