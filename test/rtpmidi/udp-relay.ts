/**
 * A lossy UDP relay for RTP-MIDI tests on real sockets (127.0.0.1): it sits between two
 * AppleMIDI participants A and B so that every datagram between them passes through it.
 *
 *     A (a, a+1)  <->  R, R+1 [relay] S, S+1  <->  B (b, b+1)
 *
 * A invites the relay's control port R. What arrives on R (R+1) is sent on from S (S+1) to B's
 * control (data) port, and what B sends to S (S+1) goes on from R (R+1) to A's. So each side
 * sees one peer with a consistent port pair (control, control + 1), as an AppleMIDI session
 * routes by them (B learns S and S+1 from the source ports of the two INs; A sends to R and R+1).
 *
 * Only RTP-MIDI on the data ports is harmed: each packet is dropped with probability `lossRate`
 * and, of those that pass, held back with probability `reorderRate` and released right after the
 * next one that passes (or after `maxHoldMs`). AppleMIDI commands (IN/OK/NO/CK/RS/BY, on either
 * port: they start with the 0xffff signature) always pass unharmed. The decisions come from a
 * seeded PRNG, one stream per direction: the n-th RTP-MIDI packet of a run meets the same fate
 * in every run with that seed. `decide` overrides the drop decision (a test that must lose one
 * given packet).
 */
import type { Runtime, UdpRemote, UdpSocket } from '../../src/core/runtime.ts';
import { SeededRandom } from '../../src/core/prng.ts';
import { bindPortPair } from '../../src/rtpmidi/endpoint-support.ts';
import { isAppleMidiCommand } from '../../src/rtpmidi/session-codec.ts';

type Port = 'control' | 'data';
type Side = 'a' | 'b';

export interface RelayOptions {
  /** A's control port (its data port is the next one). */
  aPort: number;
  /** B's control port. */
  bPort: number;
  /** Probability that an RTP-MIDI packet is dropped (0..1). */
  lossRate: number;
  /** Probability that a packet that passes is held back behind the next one (0..1). */
  reorderRate?: number;
  seed: number;
  /** Longest hold of a reordered packet when no next one comes (default 100 ms). */
  maxHoldMs?: number;
  host?: string;
  /** Decides whether a packet is dropped instead of the PRNG (undefined: the PRNG decides; the draws are made either way). */
  decide?: (direction: 'ab' | 'ba', data: Uint8Array) => 'drop' | 'pass' | undefined;
  /** Called for every RTP-MIDI packet with its fate (for debugging a failing run). */
  trace?: (direction: 'ab' | 'ba', fate: 'dropped' | 'held' | 'passed', data: Uint8Array) => void;
}

export interface RelayDirectionStats {
  /** RTP-MIDI packets that reached the relay. */
  rtp: number;
  dropped: number;
  /** Packets held back and sent after a later one (overtaken). */
  reordered: number;
  /** Packets held back that no later one overtook (released after `maxHoldMs`, in order). */
  delayed: number;
  /** AppleMIDI commands passed on (unharmed). */
  commands: number;
}

interface Held {
  data: Uint8Array;
  timer: ReturnType<typeof setTimeout>;
}

export class LossyRelay {
  /** Per direction: 'ab' is A → B, 'ba' is B → A. */
  readonly stats: Record<'ab' | 'ba', RelayDirectionStats> = {
    ab: { rtp: 0, dropped: 0, reordered: 0, delayed: 0, commands: 0 },
    ba: { rtp: 0, dropped: 0, reordered: 0, delayed: 0, commands: 0 },
  };
  private readonly random: Record<'ab' | 'ba', SeededRandom>;
  private readonly held: Record<'ab' | 'ba', Held | undefined> = { ab: undefined, ba: undefined };
  private sockets: Record<Side, Record<Port, UdpSocket>> | undefined;
  private towardA = 0;
  private towardB = 0;
  private closed = false;

  private constructor(private readonly options: RelayOptions) {
    this.random = { ab: new SeededRandom(options.seed), ba: new SeededRandom(options.seed ^ 0x5bd1e995) };
  }

  /** Binds both port pairs (free ones) on `host` (default 127.0.0.1). */
  static async open(runtime: Runtime, options: RelayOptions): Promise<LossyRelay> {
    const relay = new LossyRelay(options);
    const host = options.host ?? '127.0.0.1';
    const a = await bindPortPair(runtime.network, host, 0, {
      onMessage: (port, data, from) => relay.receive('a', port, data, from),
      onError: () => undefined,
    });
    const b = await bindPortPair(runtime.network, host, 0, {
      onMessage: (port, data, from) => relay.receive('b', port, data, from),
      onError: () => undefined,
    });
    relay.sockets = { a: a.sockets, b: b.sockets };
    relay.towardA = a.port;
    relay.towardB = b.port;
    return relay;
  }

  /** The control port A invites (R; R + 1 is the data port toward A). */
  get port(): number {
    return this.towardA;
  }

  /** The control port B sees as its peer's (S). */
  get portTowardB(): number {
    return this.towardB;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const h of Object.values(this.held)) if (h) clearTimeout(h.timer);
    const s = this.sockets;
    this.sockets = undefined;
    if (s) await Promise.all([s.a.control.close(), s.a.data.close(), s.b.control.close(), s.b.data.close()]);
  }

  /** A datagram on the side facing `side`: passed on from the other side's socket of the same kind. */
  private receive(side: Side, port: Port, data: Uint8Array, from: UdpRemote): void {
    if (this.closed) return;
    const host = this.options.host ?? '127.0.0.1';
    // Only the two participants are relayed (a stray datagram from elsewhere is dropped).
    const expected = side === 'a' ? this.options.aPort : this.options.bPort;
    if (from.address !== host || (from.port !== expected && from.port !== expected + 1)) return;
    const direction = side === 'a' ? 'ab' : 'ba';
    const out = side === 'a' ? 'b' : 'a';
    const to = (side === 'a' ? this.options.bPort : this.options.aPort) + (port === 'data' ? 1 : 0);
    const forward = (bytes: Uint8Array) => this.sockets?.[out][port].send(bytes, to, host);
    const stats = this.stats[direction];
    if (port === 'control' || isAppleMidiCommand(data)) {
      stats.commands++;
      forward(data);
      return;
    }
    stats.rtp++;
    const random = this.random[direction];
    // Both draws are made for every packet, so one decision never shifts the other's stream.
    let drop = random.float() < this.options.lossRate;
    const hold = random.float() < (this.options.reorderRate ?? 0);
    const decided = this.options.decide?.(direction, data);
    if (decided !== undefined) drop = decided === 'drop';
    this.options.trace?.(direction, drop ? 'dropped' : hold && !this.held[direction] ? 'held' : 'passed', data);
    if (drop) {
      stats.dropped++;
      return;
    }
    const waiting = this.held[direction];
    if (waiting) {
      clearTimeout(waiting.timer);
      this.held[direction] = undefined;
      stats.reordered++;
      forward(data);
      forward(waiting.data); // released after the one that overtook it
      return;
    }
    if (hold) {
      const copy = data.slice();
      const entry: Held = {
        data: copy,
        timer: setTimeout(() => {
          if (this.held[direction] !== entry) return;
          this.held[direction] = undefined;
          stats.delayed++;
          forward(copy);
        }, this.options.maxHoldMs ?? 100),
      };
      this.held[direction] = entry;
      return;
    }
    forward(data);
  }
}
