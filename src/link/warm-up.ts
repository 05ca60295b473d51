/**
 * A gateway measures itself once before it starts discovery (L1): a real clock measurement
 * (measurement.ts) from a throw-away socket of this host against the gateway's own measurement
 * endpoint. JavaScript code runs slowly the first few hundred times (interpreted, then
 * baseline-compiled, its inline caches cold), and a measurement's midpoints are only as good as
 * the stamps on both ends: in a fresh process the first measurement it answers or makes was
 * measured 10–30 µs off against Ableton's peer (bench/link-interop.ts, fresh joins). Running the
 * whole path — ping, stateless responder, pong, estimator, and the runtime's socket code —
 * about sixteen times first takes ~15–25 ms in a fresh process and leaves it warmer. The result, against
 * ourselves, must be our own ghost transform: a self-check, reported in the debug log.
 * Datagrams go from this host to itself only.
 * @module
 */
import { toError } from '../core/errors.ts';
import type { Runtime, UdpSocket } from '../core/runtime.ts';
import { decodeMeasurement, isMeasurementFrame, PONG } from './measurement-codec.ts';
import { Measurement, type MeasurementResult } from './measurement.ts';
import type { Endpoint, NodeId } from './types.ts';

/**
 * Samples of the self-measurement (~16 round trips): enough for the code to leave the
 * interpreter, few enough not to hold up discovery (a cold process needs ~1 ms a round trip).
 */
export const WARM_UP_SAMPLES = 30;
/** Gives up (and starts discovery anyway) after this long: on a loaded machine, waiting costs more than a cold path. */
export const WARM_UP_TIMEOUT_MICROS = 100_000;

/**
 * Measures `target` (our own measurement endpoint, session `sessionId`) from a new socket on
 * `address`; calls `done` once with the result, or with a failure and the reason.
 */
export function selfMeasure(rt: Runtime, address: string, target: Endpoint, sessionId: NodeId, done: (r: MeasurementResult) => void): void {
  let probe: UdpSocket | undefined;
  let finished = false;
  const finish = (r: MeasurementResult) => {
    if (finished) return;
    finished = true;
    timeout.cancel();
    try {
      probe?.close();
    } catch {
      // Closing a socket that failed to open: nothing to undo.
    }
    done(r);
  };
  const timeout = rt.timers.setTimeout(() => { m.cancel(); finish({ ok: false, reason: 'timed out', pongs: 0 }); }, WARM_UP_TIMEOUT_MICROS);
  const receiveMicros = rt.network.latency?.receiveMicros ?? 0;
  const m = new Measurement(
    {
      clock: rt.clock,
      timers: rt.timers,
      send: (data, to) => probe?.send(data, to.port, to.address),
      get sendLatencyMicros() { return rt.network.latency?.sendMicros ?? 0; },
      samplesRequired: WARM_UP_SAMPLES,
    },
    target,
    sessionId,
    finish,
  );
  try {
    probe = rt.network.openUdp({
      interfaceAddress: address,
      onListening: () => m.start(),
      onMessage: (data, from, at) => {
        if (from.address !== target.address || from.port !== target.port || !isMeasurementFrame(data) || data[8] !== PONG) return;
        try {
          m.onPong(decodeMeasurement(data), (at ?? rt.clock.micros()) - receiveMicros);
        } catch {
          // Only our own pongs reach this socket; anything else is dropped.
        }
      },
      onError: (err) => { m.cancel(); finish({ ok: false, reason: err.message, pongs: 0 }); },
    });
  } catch (err) {
    finish({ ok: false, reason: toError(err).message, pongs: 0 });
  }
}
