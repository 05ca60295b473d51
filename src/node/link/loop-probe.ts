/**
 * How long the event loop has been busy since phaselock's last callback ended (L2): the delay
 * between a datagram waking the loop and our first clock read in its callback, per datagram.
 *
 * A C peer reads its clock right after recvfrom() returns; Node first runs libuv's read, makes
 * a Buffer and an address object and dispatches through dgram's JavaScript, which in a process
 * that just woke up takes 60–110 µs on our 2-vCPU test machine (bench/udp-latency.ts) and varies
 * with how cold the code and caches are: no constant can stand for it. libuv measures the time
 * the loop sleeps in epoll (`performance.eventLoopUtilization().idle`), so the *active* time
 * since our previous callback ended — elapsed minus slept — is the work done since the loop
 * woke (plus libuv's few µs of bookkeeping before it went to sleep). Subtracted from the clock
 * read, it puts a receive stamp where a C peer's would be (bench/udp-latency.ts: the corrected
 * Node latency lands within a few µs of C's).
 *
 * Callbacks of other code in the same process that ran since ours inflate the figure; the
 * clock measurement keeps only its fastest round trips, which such samples are not.
 * @module
 */
import { performance } from 'node:perf_hooks';

/** Larger figures mean the loop was busy with other work: not a wake-up delay. */
export const MAX_WAKE_MICROS = 2_000;

let lastActiveMs = Number.NaN;

/** The busy time (µs) between two readings of the loop's cumulative active time (ms); 0 beyond the cap or unknown. */
export function busyMicros(activeNowMs: number, activeThenMs: number): number {
  const busy = (activeNowMs - activeThenMs) * 1000;
  return busy >= 0 && busy <= MAX_WAKE_MICROS ? busy : 0;
}

/** µs the loop has worked (not slept) since the end of phaselock's last callback, capped. */
export function busyMicrosSinceLastCallback(): number {
  return busyMicros(performance.eventLoopUtilization().active, lastActiveMs);
}

/** Call at the end of every phaselock callback (receive, timer). */
export function callbackEnded(): void {
  lastActiveMs = performance.eventLoopUtilization().active;
}
