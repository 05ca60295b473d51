/**
 * Where a session is measured from and to (link-wire-spec 02 §7.1), L0 (time passed in): its
 * founder's measurement endpoint if visible, else any member's, on a gateway that runs — and
 * not an endpoint that never answered, which is left alone for a growing while (1 s doubling to
 * 30 s), so a forged `mep4` cannot make us ping a host many times a second. An endpoint that
 * answered is forgiven at once.
 * @module
 */
import type { Gateway } from './gateway.ts';
import type { MeasurementResult } from './measurement.ts';
import type { Endpoint, NodeId } from './types.ts';

const BACKOFF_FIRST_MICROS = 1_000_000;
const BACKOFF_MAX_MICROS = 30_000_000;
const BACKOFF_REMEMBERED = 256;

export interface Target {
  gateway: Gateway;
  endpoint: Endpoint;
}

const keyOf = (gw: Gateway, ep: Endpoint) => `${gw.address}|${ep.address}|${ep.port}`;

export class MeasurementTargets {
  private readonly backoff = new Map<string, { failures: number; until: number }>();

  /** The target for `sessionId` at `now` (on `preferred` first), or undefined. */
  pick(gateways: Iterable<Gateway>, sessionId: NodeId, now: number, preferred?: Gateway): Target | undefined {
    let fallback: Target | undefined;
    const gws = [...gateways].sort((a) => (a === preferred ? -1 : 0));
    for (const gateway of gws) {
      if (!gateway.measuring) continue;
      for (const p of gateway.peers.values()) {
        const endpoint = p.state.measurementV4;
        if (p.state.sessionId !== sessionId || !endpoint) continue;
        if ((this.backoff.get(keyOf(gateway, endpoint))?.until ?? -Infinity) > now) continue;
        if (p.nodeId === sessionId) return { gateway, endpoint };
        fallback ??= { gateway, endpoint };
      }
    }
    return fallback;
  }

  /** How a measurement of `target` ended: silence (or refused values) backs it off, an answer forgives it. */
  outcome(target: Target, r: MeasurementResult, now: number): void {
    if (!r.ok && r.cancelled) return;
    const key = keyOf(target.gateway, target.endpoint);
    const prev = this.backoff.get(key);
    this.backoff.delete(key);
    if (r.ok || (r.pongs > 0 && !r.refused)) return;
    const failures = (prev?.failures ?? 0) + 1;
    const pause = Math.min(BACKOFF_MAX_MICROS, BACKOFF_FIRST_MICROS * 2 ** (failures - 1));
    this.backoff.set(key, { failures, until: now + pause });
    if (this.backoff.size > BACKOFF_REMEMBERED) this.backoff.delete(this.backoff.keys().next().value as string);
  }
}
