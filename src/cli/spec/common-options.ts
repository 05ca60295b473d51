/**
 * Options several command families share, defined once so that `-i`, `--bpm`, `--quantum`
 * and `--timeout` read, check and document the same way everywhere a Link is used.
 * @module
 */
import type { InterfaceAddress } from '../../core/runtime.ts';
import { describeInterfaces, entryProblem } from '../../link/interface-filter.ts';
import { machineInterfaces } from '../../node/link/machine-interfaces.ts';
import type { FlagOption, NumberOption, StringOption } from './command-spec.ts';

/** Link's tempo range (the Link API clamps to it too). */
export const BPM_RANGE = [20, 999] as const;

/**
 * What is wrong with `-i entry` on a machine with `machine`'s interfaces, completing
 * "option '--interface' …", or undefined when it selects an IPv4 address. Pure.
 * @example interfaceOptionProblem('nosuch0', m) // "names no interface of this machine: nosuch0 (this machine has: lo 127.0.0.1)"
 */
export function interfaceOptionProblem(entry: string, machine: { addresses: readonly InterfaceAddress[]; down?: readonly string[] }): string | undefined {
  const problem = entryProblem(entry, machine.addresses, machine.down);
  if (!problem) return undefined;
  const what = {
    'no-such-interface': 'names no interface of this machine',
    'no-such-address': 'names no address of this machine',
    'no-ipv4': 'names an interface without an IPv4 address',
    'down': 'names an interface that is down or has no address',
  }[problem];
  return `${what}: ${entry} (this machine has: ${describeInterfaces(machine.addresses)})`;
}

/**
 * `-i, --interface`: shared by every command that joins Link, so every one of them refuses an
 * interface this machine does not have (the check reads the interfaces when it runs, i.e.
 * only when `-i` is given).
 */
export const interfaceOption = {
  type: 'string', short: 'i', value: 'NAME|ADDR', multiple: true,
  help: 'join Link on this interface, by name or IPv4 address; it must be up with an IPv4 address',
  defaultHelp: 'every IPv4 interface',
  check: (entry: string) => interfaceOptionProblem(entry, machineInterfaces()),
} as const satisfies StringOption;

export const quantumOption = {
  type: 'number', range: [1, 64], unit: 'beats', default: 4, help: 'beats per bar, for phase and quantized starts',
} as const satisfies NumberOption;

/** `--bpm` with a fixed default. */
export function bpmOption<const D extends number>(help: string, defaultBpm: D) {
  return { type: 'number', range: BPM_RANGE, unit: 'bpm', default: defaultBpm, help } as const satisfies NumberOption;
}

/** `--timeout S`: how long a one-shot looks for a session. */
export function timeoutOption<const D extends number>(help: string, defaultSeconds: D) {
  return { type: 'number', range: [0.05, 3600], unit: 'seconds', default: defaultSeconds, help } as const satisfies NumberOption;
}

export const jsonOption = { type: 'boolean', short: 'j', help: 'one JSON object instead of text' } as const satisfies FlagOption;
