/**
 * Options several command families share, defined once so that `-i`, `--bpm`, `--quantum`
 * and `--timeout` read, check and document the same way everywhere a Link is used.
 * @module
 */
import type { FlagOption, NumberOption, StringOption } from './command-spec.ts';

/** Link's tempo range (the Link API clamps to it too). */
export const BPM_RANGE = [20, 999] as const;

export const interfaceOption = {
  type: 'string', short: 'i', value: 'NAME|ADDR', multiple: true,
  help: 'join Link on this interface, by name or IPv4 address', defaultHelp: 'every IPv4 interface',
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
