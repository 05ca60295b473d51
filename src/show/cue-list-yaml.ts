/**
 * Cue lists written in YAML (L0): the same format as the JSON cue lists (cue-list.ts), easier to
 * write by hand on a show box — comments, no quotes or commas. Parsed with the `yaml` package
 * (pure JavaScript, YAML 1.2), then validated exactly like JSON, with the line each cue starts
 * on in every problem.
 *
 * One difference, on purpose: YAML reads a plain `at: 9.1` as the number 9.1, which the JSON
 * rules would take as 9.1 beats from the top — never what a musician writing `9.1` means. So in
 * YAML an unquoted dotted `at` (`9.1`, `2.3.3`) is read as written: bar 9 beat 1. A whole number
 * (`at: 96`) is beats from the top, as in JSON.
 *
 * ```yaml
 * bpm: 120
 * cues:
 *   - { at: "1.1", do: load, file: act1.mp4 }
 *   - at: "9.1"          # the second act, on the downbeat of bar 9
 *     do: load
 *     file: act2.mp4
 *     offset: 2.5
 *   - { at: 96, do: command, command: [show-text, Finale, 2000] }
 * ```
 * @module
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { CueListError, validateCueList, type CueList, type CueListOptions } from './cue-list.ts';

/** Aliases beyond this many expansions are refused (a "billion laughs" document). */
const MAX_ALIAS_COUNT = 100;

/**
 * Parses and validates a YAML cue list. Throws `CueListError` listing every problem (with
 * lines): YAML syntax errors, then the cue list's own. Pure.
 * @example
 * const list = parseCueListYaml(text, { baseDir: '/srv/show', fileExists: (f) => existsSync(f) });
 */
export function parseCueListYaml(text: string, options: CueListOptions = {}): CueList {
  if (typeof text !== 'string') throw new TypeError('parseCueListYaml: text must be a string');
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new CueListError(doc.errors.slice(0, 10).map((e) => ({
      index: undefined,
      line: e.linePos?.[0]?.line ?? counter.linePos(e.pos[0]).line,
      message: `not valid YAML: ${e.message.split('\n')[0]}`,
    })));
  }
  barBeatAsWritten(doc, text);
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    throw new CueListError([{ index: undefined, line: undefined, message: `not usable YAML: ${err instanceof Error ? err.message : String(err)}` }]);
  }
  return validateCueList(value, options, cueLines(doc.contents, counter));
}

/** The cue items: of the top-level sequence, or of `cues`. */
function cueItems(contents: unknown): unknown[] {
  const seq = isMap(contents) ? contents.get('cues', true) : contents;
  return isSeq(seq) ? seq.items : [];
}

/** Each cue's plain dotted `at` (YAML made it a number) back to the text written: bar.beat. */
function barBeatAsWritten(doc: Document, text: string): void {
  for (const item of cueItems(doc.contents)) {
    if (!isMap(item)) continue;
    const at = item.get('at', true);
    if (!isScalar(at) || at.type !== 'PLAIN' || typeof at.value !== 'number' || !at.range) continue;
    const written = text.slice(at.range[0], at.range[1]).trim();
    if (/^\d+\.\d+(\.\d+)?$/.test(written)) at.value = written;
  }
}

/** The line (1-based) each cue starts on: the items of the top-level sequence, or of `cues`. */
function cueLines(contents: unknown, counter: LineCounter): number[] {
  return cueItems(contents).map((item) => {
    const start = (item as Node | null)?.range?.[0];
    return start === undefined ? 0 : counter.linePos(start).line;
  });
}
