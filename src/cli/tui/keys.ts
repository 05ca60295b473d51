/**
 * Terminal input → keys (pure): single characters, with escape sequences (arrows, function
 * keys, bracketed paste markers) dropped and line ends ignored, so `echo e | phaselock --json`
 * and a raw-mode terminal give the same keys.
 * @module
 */

/** Splits decoded terminal input into one-character keys. Pure. */
export function splitKeys(input: string): string[] {
  const keys: string[] = [];
  for (let i = 0; i < input.length; i++) {
    const ch = input[i]!;
    if (ch === '\x1b') {
      i = skipEscape(input, i);
      continue;
    }
    if (ch === '\r' || ch === '\n') continue;
    keys.push(ch);
  }
  return keys;
}

/** Index of the last character of the escape sequence starting at `i` (CSI `ESC [ … final` or `ESC O x`). */
function skipEscape(s: string, i: number): number {
  const next = s[i + 1];
  if (next === '[') {
    let j = i + 2;
    while (j < s.length && !/[\x40-\x7e]/.test(s[j]!)) j++;
    return j;
  }
  if (next === 'O') return Math.min(s.length - 1, i + 2);
  return i; // a lone Escape key
}
