import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PhaselockError } from '../../core/errors.ts';
import type { MidiInputEvent } from '../../midi/input.ts';
import { midiSubsystemProblem, type RtInput, type RtMidiModule } from './native-midi.ts';
import { openNativeMidiInput } from './native-midi-input.ts';

/** A stand-in for RtMidi's Input: two ports, records what was asked of it. */
class FakeRtInput implements RtInput {
  static last: FakeRtInput | undefined;
  ignored: boolean[] | undefined;
  opened: number | string | undefined;
  closed = false;
  private fn: ((dt: number, m: number[]) => void) | undefined;
  constructor() {
    FakeRtInput.last = this;
  }
  getPortCount() { return 2; }
  getPortName(i: number) { return ['Midi Through Port-0', 'USB MIDI Interface 1'][i]!; }
  openPort(i: number) { this.opened = i; }
  openVirtualPort(name: string) { this.opened = name; }
  ignoreTypes(a: boolean, b: boolean, c: boolean) { this.ignored = [a, b, c]; }
  on(_e: 'message', fn: (dt: number, m: number[]) => void) { this.fn = fn; }
  closePort() { this.closed = true; }
  send(m: unknown) { this.fn?.(0.001, m as number[]); }
}

const fakeModule: RtMidiModule = { Output: class {} as unknown as RtMidiModule['Output'], Input: FakeRtInput };
const load = () => Promise.resolve(fakeModule);
const noProblem = () => undefined;

describe('NativeMidiInput', () => {
  it('opens a port by part of its name, lets clock and sysex through, emits parsed messages at arrival time', async () => {
    let now = 5_000_000;
    const input = await openNativeMidiInput('usb midi', { micros: () => now }, { load, subsystemProblem: noProblem });
    const port = FakeRtInput.last!;
    assert.equal(input.name, 'USB MIDI Interface 1');
    assert.equal(port.opened, 1);
    assert.deepEqual(port.ignored, [false, false, true], 'timing messages (F8) must not be ignored');
    const got: MidiInputEvent[] = [];
    input.on('message', (e) => got.push(e));
    port.send([0xfa]);
    now += 20_833;
    port.send([0xf8]);
    port.send([0xf2, 0x10, 0x00]);
    assert.deepEqual(got.map((e) => [...e.data]), [[0xfa], [0xf8], [0xf2, 0x10, 0x00]]);
    assert.deepEqual(got.map((e) => e.timeMicros), [5_000_000, 5_020_833, 5_020_833]);
    assert.ok(got.every((e) => e.receivedAtMicros === e.timeMicros));
    await input.close();
    assert.ok(port.closed);
    port.send([0xfc]);
    assert.equal(got.length, 3, 'nothing after close');
  });

  it('what RtMidi hands over is checked: junk is a warning, never a throw; a throwing listener is a warning', async () => {
    const input = await openNativeMidiInput(0, { micros: () => 0 }, { load, subsystemProblem: noProblem });
    const port = FakeRtInput.last!;
    const warnings: PhaselockError[] = [];
    input.on('warning', (w) => warnings.push(w));
    const got: number[][] = [];
    input.on('message', (e) => got.push([...e.data]));
    port.send(undefined);
    port.send([]);
    port.send([0x90, 300, 1]);
    port.send([0x40, 0x40]); // data bytes with no status
    assert.equal(got.length, 0);
    assert.equal(warnings.length, 4);
    input.on('message', () => { throw new Error('boom'); });
    port.send([0x90, 60, 100]);
    assert.deepEqual(got, [[0x90, 60, 100]]);
    assert.match(warnings.at(-1)!.message, /listener threw: boom/);
    await input.close();
  });

  it('a port that does not exist: E_UNAVAILABLE listing the ports there are', async () => {
    await assert.rejects(openNativeMidiInput('Launchpad', { micros: () => 0 }, { load, subsystemProblem: noProblem }), (e: unknown) => {
      assert.ok(e instanceof PhaselockError && e.code === 'E_UNAVAILABLE');
      assert.match(e.message, /no MIDI input port "Launchpad"; available: 0: Midi Through Port-0, 1: USB MIDI Interface 1/);
      return true;
    });
  });

  it('no MIDI subsystem: E_UNAVAILABLE saying so, before RtMidi is started', async () => {
    const before = FakeRtInput.last;
    await assert.rejects(openNativeMidiInput(0, { micros: () => 0 }, { load, subsystemProblem: () => 'ALSA sequencer not available: /dev/snd/seq does not exist' }),
      /no MIDI subsystem \(ALSA sequencer not available: \/dev\/snd\/seq does not exist\)/);
    assert.equal(FakeRtInput.last, before, 'RtMidi was not started');
  });

  it('the subsystem check: a missing sequencer device is a reason on Linux; a readable and writable one, or another OS, is none', () => {
    assert.match(midiSubsystemProblem('linux', '/nonexistent/snd/seq')!, /does not exist/);
    assert.equal(midiSubsystemProblem('linux', '/dev/null'), undefined, 'a device we may read and write');
    assert.equal(midiSubsystemProblem('darwin', '/nonexistent/snd/seq'), undefined);
  });
});
