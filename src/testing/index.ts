/**
 * Test doubles shipped with phaselock so users can test their own code deterministically:
 * `VirtualTime` (clock + timers), `FakeNetwork` (in-memory UDP with latency, loss, partitions),
 * `FakeStreams` (in-memory TCP/unix streams with latency, backpressure, resets, half-close, slow readers),
 * `FakeMpv` (mpv's JSON IPC with a playback model, on FakeStreams), `FakeShowTransport` (a DAW's
 * transport driven by hand, for `ShowPlayer`).
 * @module
 */
export { VirtualTime, VIRTUAL_EPOCH_MICROS } from './virtual-time.ts';
export { FakeNetwork, FakeHost, type FakeHostOptions, type FakeNetworkOptions, type SentDatagram } from './fake-network.ts';
export { FakeStreams, FakeStreamSocket, type FakeStreamsOptions } from './fake-streams.ts';
export { FakeMpv, type FakeMpvOptions } from './fake-mpv.ts';
export { FakeShowTransport, type FakeShowTransportOptions } from './fake-show-transport.ts';
export { SeededRandom } from '../core/prng.ts';
