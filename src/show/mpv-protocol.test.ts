// mpv's JSON IPC, the pure part: classifying lines, typed event fields, property types, commands.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeMpvCommand } from './mpv-observers.ts';
import { classifyMpvMessage, describeCommand, endFileOf, isPropertyValue, MpvCommandError, propertyChangeOf, startFileOf } from './mpv-protocol.ts';

describe('mpv protocol', () => {
  it('classifies replies and events, and says why anything else is neither', () => {
    assert.deepEqual(classifyMpvMessage({ request_id: 3, error: 'success', data: 1.5 }), { kind: 'reply', requestId: 3, error: 'success', data: 1.5 });
    assert.deepEqual(classifyMpvMessage({ request_id: 4, error: 'property unavailable' }), { kind: 'reply', requestId: 4, error: 'property unavailable', data: undefined });
    assert.deepEqual(classifyMpvMessage({ event: 'seek' }), { kind: 'event', event: { event: 'seek' } });
    const invalid = [null, 42, 'x', [1], {}, { event: 3 }, { event: '' }, { event: 'x'.repeat(65) }, { request_id: -1, error: 'success' },
      { request_id: 1.5, error: 'success' }, { request_id: '1', error: 'success' }, { request_id: 2 ** 60, error: 'success' }, { request_id: 1 }];
    for (const v of invalid) assert.equal(classifyMpvMessage(v).kind, 'invalid', JSON.stringify(v));
  });

  it('typed views of events take only well-formed fields', () => {
    assert.deepEqual(propertyChangeOf({ event: 'property-change', id: 2, name: 'pause', data: false }), { id: 2, name: 'pause', data: false });
    assert.deepEqual(propertyChangeOf({ event: 'property-change', id: 2, name: 'time-pos' }), { id: 2, name: 'time-pos', data: undefined });
    assert.equal(propertyChangeOf({ event: 'property-change', id: '2', name: 'pause' }), undefined);
    assert.equal(propertyChangeOf({ event: 'property-change', id: 2 }), undefined);
    assert.deepEqual(endFileOf({ event: 'end-file', reason: 'error', playlist_entry_id: 4, file_error: 'loading failed' }),
      { reason: 'error', playlistEntryId: 4, fileError: 'loading failed' });
    assert.deepEqual(endFileOf({ event: 'end-file', reason: 7, playlist_entry_id: 'x' }), { reason: 'unknown', playlistEntryId: undefined, fileError: undefined });
    assert.deepEqual(startFileOf({ event: 'start-file', playlist_entry_id: 1 }), { playlistEntryId: 1 });
  });

  it('known properties have types; other names take anything', () => {
    assert.equal(isPropertyValue('pause', true), true);
    assert.equal(isPropertyValue('pause', 'yes'), false);
    assert.equal(isPropertyValue('time-pos', 1.25), true);
    assert.equal(isPropertyValue('time-pos', Number.NaN), false);
    assert.equal(isPropertyValue('path', 3), false);
    assert.equal(isPropertyValue('toString', 3), true, 'not fooled by the prototype');
    assert.equal(isPropertyValue('track-list', [{ id: 1 }]), true);
  });

  it("an mpv error names the command and quotes mpv's text, masked and cut", () => {
    const err = new MpvCommandError('bad\u0007thing', ['get_property', 'time-pos']);
    assert.equal(err.code, 'E_PROTOCOL');
    assert.equal(err.mpvError, 'bad\u0007thing');
    assert.equal(err.message, 'mpv: get_property "time-pos": bad?thing');
    assert.ok(describeCommand(['loadfile', 'x'.repeat(500)]).length <= 81);
  });

  it('commands are encoded as JSON arrays; what JSON cannot carry throws', () => {
    assert.equal(encodeMpvCommand(['seek', 5, 'absolute']), '["seek",5,"absolute"]');
    assert.equal(encodeMpvCommand(['loadfile', 'a "b".mp4', 'replace', { start: '10' }]), '["loadfile","a \\"b\\".mp4","replace",{"start":"10"}]');
    assert.throws(() => encodeMpvCommand([]), TypeError);
    assert.throws(() => encodeMpvCommand(['']), TypeError);
    assert.throws(() => encodeMpvCommand(['x', 1n]), TypeError);
    assert.throws(() => encodeMpvCommand(['x', Infinity]), RangeError);
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    assert.throws(() => encodeMpvCommand(['x', cycle]), TypeError);
  });
});
