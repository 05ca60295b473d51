/**
 * Test doubles shipped with phaselock so users can test their own code deterministically:
 * `VirtualTime` (clock + timers), `FakeNetwork` (in-memory UDP with latency, loss, partitions).
 * @module
 */
export { VirtualTime, VIRTUAL_EPOCH_MICROS } from './virtual-time.ts';
export { FakeNetwork, FakeHost, type FakeHostOptions, type FakeNetworkOptions, type SentDatagram } from './fake-network.ts';
export { SeededRandom } from '../core/prng.ts';
