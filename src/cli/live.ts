/**
 * `phaselock` / `phaselock link`: the live view. Joins the session and shows it either as a
 * full-screen terminal UI (plain ANSI, 50 frames a second) or as JSON lines (`--json`, or
 * when stdout is not a TTY). Keys come from stdin in both modes. `q`, Ctrl-C, SIGINT, SIGTERM
 * and SIGHUP end it cleanly: the terminal is restored and Link's byebye is sent.
 * @module
 */
import { Link } from '../node/link/link.ts';
import { LinkHut } from './tui/hut.ts';
import { splitKeys } from './tui/keys.ts';
import { formatJsonStatus, renderScreen, type JsonReason } from './tui/status-format.ts';

export interface LiveConfig {
  bpm: number;
  quantum: number;
  startStopSync: boolean;
  /** Interface names or IPv4 addresses; undefined = every IPv4 interface. */
  interfaces: string[] | undefined;
  /** undefined = automatic: JSON when stdout is not a TTY. */
  json: boolean | undefined;
}

/** Frame interval of the terminal UI (50 Hz; the issue asks for at least 30). */
export const FRAME_MS = 20;
/** Period of the JSON status lines. */
export const JSON_TICK_MS = 250;

interface View {
  start(): void;
  /** After a key was handled. */
  keyHandled(): void;
  /** Must leave the terminal as it found it; idempotent and synchronous (also runs on 'exit'). */
  stop(): void;
}

const ENTER_ALT = '\x1b[?1049h';
const LEAVE_ALT = '\x1b[?1049l';
const HIDE_CURSOR = '\x1b[?25l';
const SHOW_CURSOR = '\x1b[?25h';

class TerminalView implements View {
  private timer: NodeJS.Timeout | undefined;
  private lastFrame = '';
  private active = false;
  private readonly onResize = () => {
    this.lastFrame = '';
    this.out.write('\x1b[2J');
    this.render();
  };

  constructor(private readonly hut: LinkHut, private readonly out: NodeJS.WriteStream, private readonly color: boolean) {}

  start(): void {
    this.active = true;
    this.out.write(ENTER_ALT + HIDE_CURSOR + '\x1b[H\x1b[2J');
    this.out.on('resize', this.onResize);
    this.render();
    this.timer = setInterval(() => this.render(), FRAME_MS);
  }

  keyHandled(): void {
    this.render();
  }

  stop(): void {
    if (!this.active) return;
    this.active = false;
    clearInterval(this.timer);
    this.out.off('resize', this.onResize);
    this.out.write(SHOW_CURSOR + LEAVE_ALT);
  }

  private render(): void {
    if (!this.active) return;
    const width = this.out.columns || 80;
    const height = this.out.rows || 24;
    const lines = renderScreen(this.hut.status(), {
      width,
      color: this.color,
      helpVisible: this.hut.helpVisible,
      message: this.hut.visibleMessage(),
    }).slice(0, height);
    // Home, overwrite each line and clear its tail, clear below: no flicker, no full clears.
    const frame = `\x1b[H${lines.map((l) => `${l}\x1b[K`).join('\n')}\x1b[J`;
    if (frame === this.lastFrame) return;
    this.lastFrame = frame;
    this.out.write(frame);
  }
}

class JsonView implements View {
  private timer: NodeJS.Timeout | undefined;
  private active = false;
  private readonly onPeers = () => this.line('peers');
  private readonly onTempo = () => this.line('tempo');
  private readonly onPlaying = () => this.line('playing');

  constructor(private readonly hut: LinkHut, private readonly link: Link, private readonly out: NodeJS.WritableStream) {}

  start(): void {
    this.active = true;
    this.link.on('peers', this.onPeers).on('tempo', this.onTempo).on('playing', this.onPlaying);
    this.line('start');
    this.timer = setInterval(() => this.line('tick'), JSON_TICK_MS);
  }

  keyHandled(): void {
    this.line('key');
  }

  stop(): void {
    if (!this.active) return;
    this.active = false;
    clearInterval(this.timer);
    this.link.off('peers', this.onPeers).off('tempo', this.onTempo).off('playing', this.onPlaying);
  }

  private line(reason: JsonReason): void {
    if (this.active && this.out.writable) this.out.write(`${formatJsonStatus(this.hut.status(), reason)}\n`);
  }
}

/** Runs the live view until quit; resolves with the exit code. */
export async function runLive(cfg: LiveConfig): Promise<number> {
  const stdout = process.stdout;
  const stdin = process.stdin;
  const json = cfg.json ?? !stdout.isTTY;
  const link = new Link({ bpm: cfg.bpm, startStopSync: cfg.startStopSync, interfaces: cfg.interfaces, yieldTies: true });
  const hut = new LinkHut(link, { quantum: cfg.quantum });
  const color = !process.env.NO_COLOR && process.env.TERM !== 'dumb';
  const view: View = json ? new JsonView(hut, link, stdout) : new TerminalView(hut, stdout, color);
  link.on('warning', (err) => {
    if (json) process.stderr.write(`phaselock: warning: ${err.message}\n`);
    else hut.say(`warning: ${err.message}`);
  });

  const rawMode = stdin.isTTY === true;
  const restoreTerminal = () => {
    view.stop();
    if (rawMode && stdin.isRaw) stdin.setRawMode(false);
  };
  // Safety net: whatever ends the process, the terminal comes back usable.
  process.once('exit', restoreTerminal);

  let quit: (code: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => (quit = resolve));
  const onSignal = () => quit(0);
  // The reader went away (`phaselock --json | head -3`): leave quietly, like a signal.
  const onStdoutError = (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') process.stderr.write(`phaselock: stdout: ${err.message}\n`);
    quit(0);
  };
  stdout.on('error', onStdoutError);
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const s of signals) process.on(s, onSignal);
  const onData = (chunk: string) => {
    for (const key of splitKeys(chunk)) {
      if (hut.key(key) === 'quit') {
        quit(0);
        return;
      }
      view.keyHandled();
    }
  };
  // A closed stdin (a script's `</dev/null`) just means no keys; the view keeps running.
  stdin.setEncoding('utf8');
  stdin.on('data', onData);
  if (rawMode) stdin.setRawMode(true);
  stdin.resume();

  try {
    link.enable();
    view.start();
    return await done;
  } finally {
    restoreTerminal();
    process.off('exit', restoreTerminal);
    for (const s of signals) process.off(s, onSignal);
    stdin.off('data', onData);
    // Keep a listener: a write still in flight may fail with EPIPE after we are done.
    stdout.off('error', onStdoutError).on('error', () => undefined);
    stdin.pause();
    await link.close(); // resolves once the ByeBye is out on every interface
  }
}
