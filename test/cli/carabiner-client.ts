/**
 * A Carabiner client for the tests, written from the protocol section of Carabiner's README
 * (github.com/Deep-Symmetry/carabiner) and independent of phaselock's own parser: responses
 * are `<type> { :key value ... }` edn maps or bare words (`bad-bpm ...`, `unsupported ...`),
 * one per line; several may arrive in one packet.
 * @module
 */
import net from 'node:net';
import { waitFor } from '../interop/harness.ts';

export interface Response {
  /** `status`, `beat-at-time`, …, or the error word. */
  type: string;
  /** The edn map's entries (numbers and booleans), empty for bare words. */
  map: Record<string, number | boolean | string>;
  line: string;
}

/** Parses one response line as the README shows them. */
export function parseResponse(line: string): Response {
  const m = /^(\S+)\s+\{(.*)\}\s*$/.exec(line);
  if (!m) return { type: line.split(' ')[0] ?? '', map: {}, line };
  const map: Record<string, number | boolean | string> = {};
  const re = /:([\w-]+)\s+("(?:[^"\\]|\\.)*"|\S+)/g;
  for (let e = re.exec(m[2]!); e; e = re.exec(m[2]!)) {
    const raw = e[2]!;
    map[e[1]!] = raw === 'true' ? true : raw === 'false' ? false : /^-?\d/.test(raw) ? Number(raw) : raw;
  }
  return { type: m[1]!, map, line };
}

/** The README's status grammar: peers, bpm (%f), start (integer µs), beat (%f), optional playing. */
export const STATUS_LINE = /^status \{ :peers \d+ :bpm \d+\.\d{6} :start -?\d+ :beat -?\d+\.\d{6}( :playing (true|false))? \}$/;

export class CarabinerClient {
  readonly responses: Response[] = [];
  private buffer = '';
  private closedFlag = false;

  private constructor(readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      const lines = this.buffer.split('\n');
      this.buffer = lines.pop()!;
      for (const line of lines) this.responses.push(parseResponse(line));
    });
    socket.on('close', () => (this.closedFlag = true));
    socket.on('error', () => undefined);
  }

  static connect(port: number, host = '127.0.0.1'): Promise<CarabinerClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host }, () => {
        socket.off('error', reject);
        resolve(new CarabinerClient(socket));
      });
      socket.once('error', reject);
    });
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /** Writes raw text (no newline added). */
  write(text: string): void {
    this.socket.write(text);
  }

  /** Sends one command line and resolves with the first response matching `type` after it. */
  async request(command: string, type: string | RegExp = command.split(' ')[0]!, timeoutMs = 2000): Promise<Response> {
    const from = this.responses.length;
    this.write(`${command}\n`);
    return this.next(type, from, timeoutMs);
  }

  /** The first response at index >= `from` whose type matches. */
  next(type: string | RegExp, from = 0, timeoutMs = 2000): Promise<Response> {
    const match = (r: Response) => (typeof type === 'string' ? r.type === type : type.test(r.line));
    return waitFor(() => this.responses.slice(from).find(match), {
      timeoutMs, intervalMs: 5, what: `a '${String(type)}' response (got: ${this.responses.slice(from).map((r) => r.line).join(' | ')})`,
    });
  }

  close(): void {
    this.socket.destroy();
  }
}
