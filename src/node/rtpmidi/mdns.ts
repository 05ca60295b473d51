/**
 * Bonjour / mDNS for RTP-MIDI (L2): advertise a session as `_apple-midi._udp` (how macOS's Audio
 * MIDI Setup, Windows rtpMIDI and rtpmidid list it in their directory) and browse for the
 * sessions others advertise. Built on `bonjour-service`, an optional dependency loaded on first
 * use: without it every call rejects with a `PhaselockError` E_UNAVAILABLE naming the package.
 *
 * Two gaps of the library are filled here:
 * - the SRV target is `<host>.local` (the library would use the bare host name, which a
 *   resolver does not look up over mDNS);
 * - on a host whose only IPv4 interface is the loopback, the library publishes no A record (it
 *   skips internal interfaces), so nobody could resolve the target; we then add A records for
 *   the loopback addresses to every response that carries our SRV record (such a host's
 *   multicast never leaves it anyway). A browser also falls back to the source address of the
 *   answer when a response names no address.
 *
 * Name conflicts are probed for before announcing (RFC 6762 §8.1: three queries, 250 ms apart):
 * a name already advertised on the network rejects with E_PROTOCOL (the library's own probe
 * would print to stdout and give up silently).
 *
 * @example
 * const ad = await advertiseRtpMidi({ name: 'phaselock', port: 5004 });
 * const found = await browseRtpMidi({ timeoutMicros: 1_500_000 }); // [{ name, host, address, port }]
 * await ad.stop();
 * @module
 */
import os from 'node:os';
import { PhaselockError } from '../../core/errors.ts';
import { Emitter } from '../../core/emitter.ts';

export const RTPMIDI_SERVICE_TYPE = '_apple-midi._udp';
const PACKAGE = 'bonjour-service';
const PROBE_INTERVAL_MS = 250;
const PROBES = 3;
const MAX_SESSIONS = 256;
const MAX_TIMEOUT_MICROS = 60_000_000;

/** A DNS resource record as `dns-packet` (under `bonjour-service`) reads and writes it. */
export interface MdnsRecord {
  name: string;
  type: string;
  ttl?: number;
  data?: any;
}

export interface MdnsResponse {
  answers: MdnsRecord[];
  additionals?: MdnsRecord[];
  [key: string]: unknown;
}

// The parts of bonjour-service / multicast-dns used here (structural: the package is optional).
interface MulticastDns {
  on(event: string, fn: (...args: any[]) => void): unknown;
  once(event: string, fn: (...args: any[]) => void): unknown;
  removeListener(event: string, fn: (...args: any[]) => void): unknown;
  query(name: string, type: string, cb?: (err?: Error | null) => void): void;
  respond(res: MdnsResponse | MdnsRecord[], ...rest: unknown[]): void;
}
interface BonjourService {
  name: string; host: string; port: number; addresses?: string[]; referer?: { address: string };
  on(event: 'up', fn: () => void): unknown;
  stop?(cb?: () => void): void;
}
interface BonjourBrowser {
  on(event: 'up' | 'down', fn: (s: BonjourService) => void): unknown;
  update(): void;
  stop(): void;
}
interface BonjourInstance {
  server: { mdns: MulticastDns };
  publish(config: { name: string; type: string; protocol: 'udp'; port: number; host: string; probe: boolean; disableIPv6?: boolean }): BonjourService;
  find(config: { type: string; protocol: 'udp' }): BonjourBrowser;
  destroy(cb?: () => void): void;
}
type BonjourConstructor = new (opts?: Record<string, unknown>, errorCallback?: (err: Error) => void) => BonjourInstance;

let loaded: Promise<BonjourConstructor> | undefined;

/**
 * Loads `bonjour-service` once (`importModule` replaces the import in tests). Rejects with
 * E_UNAVAILABLE when it is not installed.
 */
export function loadBonjour(importModule: () => Promise<unknown> = () => import(PACKAGE)): Promise<BonjourConstructor> {
  const loading = importModule().then(
    (m: any) => {
      const Bonjour = (m?.Bonjour ?? m?.default?.Bonjour ?? m?.default) as BonjourConstructor | undefined;
      if (typeof Bonjour !== 'function') throw new PhaselockError('E_UNAVAILABLE', `${PACKAGE} loaded but has no Bonjour class`);
      return Bonjour;
    },
    (err: unknown) => {
      throw new PhaselockError('E_UNAVAILABLE',
        `RTP-MIDI discovery (Bonjour) needs the optional dependency ${PACKAGE}, which is not installed (npm install ${PACKAGE}): ${err instanceof Error ? err.message : String(err)}`,
        { cause: err });
    },
  );
  return loading;
}

function bonjourModule(): Promise<BonjourConstructor> {
  loaded ??= loadBonjour();
  loaded.catch(() => (loaded = undefined)); // a later install is picked up
  return loaded;
}

/** This machine's mDNS host name: the first label of the host name, made a valid label, plus `.local`. */
export function localHostName(hostname: string = os.hostname()): string {
  const label = (hostname.split('.')[0] ?? '').replace(/[^A-Za-z0-9-]/g, '-').replace(/^-+|-+$/g, '').slice(0, 63);
  return `${label || 'phaselock'}.local`;
}

/** `host` with `.local` appended unless it already ends so (the SRV target must resolve over mDNS). */
export function mdnsHost(host: string): string {
  return /\.local\.?$/i.test(host) ? host.replace(/\.$/, '') : `${host}.local`;
}

/** The loopback IPv4 addresses: what a host without any other IPv4 interface can be reached at. */
function loopbackAddresses(): string[] {
  const all = Object.values(os.networkInterfaces()).flat().filter((a) => a?.family === 'IPv4');
  return all.some((a) => a && !a.internal) ? [] : all.map((a) => a!.address);
}

const sameName = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/**
 * Pure: `res` with A records for `host` added (ttl 120) when it carries a live SRV record whose
 * target is `host` and no A record for it. Returns `res` itself when nothing is to be added.
 */
export function withAddressRecords(res: MdnsResponse | MdnsRecord[], host: string, addresses: readonly string[]): MdnsResponse | MdnsRecord[] {
  if (addresses.length === 0) return res;
  const answers = Array.isArray(res) ? res : res.answers ?? [];
  const additionals = Array.isArray(res) ? [] : res.additionals ?? [];
  const records = [...answers, ...additionals];
  const servesHost = records.some((r) => r.type === 'SRV' && (r.ttl ?? 1) > 0 && typeof r.data?.target === 'string' && sameName(r.data.target, host));
  if (!servesHost || records.some((r) => r.type === 'A' && sameName(r.name, host))) return res;
  const extra = addresses.map((data) => ({ name: host, type: 'A', ttl: 120, data }));
  return Array.isArray(res) ? { answers: res, additionals: extra } : { ...res, answers, additionals: [...additionals, ...extra] };
}

function validName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0 || new TextEncoder().encode(name).length > 63) {
    throw new RangeError(`RTP-MIDI session name must be 1..63 bytes of UTF-8, got ${JSON.stringify(name)}`);
  }
  return name;
}

function validPort(port: unknown): number {
  if (!Number.isInteger(port) || (port as number) < 1 || (port as number) > 65535) {
    throw new RangeError(`RTP-MIDI control port must be an integer in 1..65535, got ${String(port)}`);
  }
  return port as number;
}

export interface MdnsSocketOptions {
  /** IPv4 address of the interface to send and receive mDNS on (default: every interface). */
  interfaceAddress?: string;
  /** Problems that do not stop the work (a membership that could not be joined, bad packets). */
  onWarning?: (err: PhaselockError) => void;
}

/** Opens one Bonjour instance (one mDNS socket on port 5353) and waits until it is bound. */
async function openBonjour(options: MdnsSocketOptions): Promise<BonjourInstance> {
  const Bonjour = await bonjourModule();
  const warn = (err: unknown) => options.onWarning?.(new PhaselockError('E_SOCKET', `mDNS: ${err instanceof Error ? err.message : String(err)}`, { cause: err }));
  // multicast-dns binds `bind || interface`: a socket bound to a unicast address would not
  // receive the multicast group's datagrams on Linux, so bind the wildcard address.
  const opts = options.interfaceAddress ? { interface: options.interfaceAddress, bind: '0.0.0.0' } : {};
  const bonjour = new Bonjour(opts, warn);
  const mdns = bonjour.server.mdns;
  mdns.on('warning', warn);
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => {
      bonjour.destroy();
      reject(new PhaselockError('E_SOCKET', `mDNS: cannot open port 5353: ${err.message}`, { cause: err }));
    };
    mdns.once('error', onError);
    mdns.once('ready', () => {
      mdns.removeListener('error', onError);
      mdns.on('error', warn); // never an unhandled 'error' event later
      resolve();
    });
  });
  return bonjour;
}

const destroyBonjour = (bonjour: BonjourInstance) => new Promise<void>((resolve) => bonjour.destroy(() => resolve()));

/** RFC 6762 §8.1 probing: whether anyone answers for `fqdn` within three queries 250 ms apart. */
async function nameInUse(mdns: MulticastDns, fqdn: string): Promise<boolean> {
  let seen = false;
  const onResponse = (packet: MdnsResponse) => {
    if ([...(packet.answers ?? []), ...(packet.additionals ?? [])].some((r) => sameName(r.name, fqdn))) seen = true;
  };
  mdns.on('response', onResponse);
  try {
    for (let i = 0; i < PROBES && !seen; i++) {
      mdns.query(fqdn, 'ANY');
      await new Promise((resolve) => setTimeout(resolve, PROBE_INTERVAL_MS));
    }
  } finally {
    mdns.removeListener('response', onResponse);
  }
  return seen;
}

export interface AdvertiseRtpMidiOptions extends MdnsSocketOptions {
  /** The session name others see in their directory (1..63 bytes; dots become dashes). */
  name: string;
  /** The control port (data is port + 1). */
  port: number;
  /** Host name for the SRV target; `.local` is appended when missing. Default: this machine's. */
  host?: string;
}

export interface RtpMidiAdvertisement extends AsyncDisposable {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** Sends the goodbye (TTL 0) records and closes the mDNS socket. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Advertises an RTP-MIDI session as `_apple-midi._udp` on `port`. Resolves once the first
 * announcement has gone out; rejects E_PROTOCOL when the name is already in use on the network,
 * E_SOCKET when port 5353 cannot be opened, E_UNAVAILABLE without `bonjour-service`.
 * Schedules I/O (multicast on every interface, or `interfaceAddress`).
 */
export async function advertiseRtpMidi(options: AdvertiseRtpMidiOptions): Promise<RtpMidiAdvertisement> {
  const name = validName(options.name).split('.').join('-');
  const port = validPort(options.port);
  const host = options.host === undefined ? localHostName() : mdnsHost(options.host);
  const bonjour = await openBonjour(options);
  const mdns = bonjour.server.mdns;
  try {
    if (await nameInUse(mdns, `${name}.${RTPMIDI_SERVICE_TYPE}.local`)) {
      throw new PhaselockError('E_PROTOCOL', `the RTP-MIDI session name '${name}' is already advertised on this network`);
    }
    const fallback = loopbackAddresses();
    const respond = mdns.respond.bind(mdns);
    mdns.respond = (res, ...rest) => respond(withAddressRecords(res, host, fallback), ...rest);
    const service = bonjour.publish({ name, type: 'apple-midi', protocol: 'udp', port, host, probe: false });
    await new Promise<void>((resolve) => (service as { published?: boolean }).published ? resolve() : service.on('up', resolve));
    let stopping: Promise<void> | undefined;
    const stop = () => (stopping ??= (async () => {
      await new Promise<void>((resolve) => (service.stop ? service.stop(() => resolve()) : resolve()));
      await destroyBonjour(bonjour);
    })());
    return { name, host, port, stop, [Symbol.asyncDispose]: stop };
  } catch (err) {
    await destroyBonjour(bonjour);
    throw err;
  }
}

/** A session found on the network. */
export interface DiscoveredRtpMidi {
  /** Its advertised name (the instance label of `<name>._apple-midi._udp.local`). */
  name: string;
  /** The SRV target host name (`…local`). */
  host: string;
  /** Where to invite it: its first IPv4 address, else the address the answer came from. */
  address: string;
  /** Every address advertised for `host`. */
  addresses: string[];
  /** Its control port (`invite(address, port)`). */
  port: number;
}

/** Pure: what a bonjour-service service record tells us, or undefined when it has no usable port. */
export function toDiscovered(s: { name?: unknown; host?: unknown; port?: unknown; addresses?: unknown; referer?: { address?: unknown } }): DiscoveredRtpMidi | undefined {
  const port = Number(s.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535 || typeof s.name !== 'string') return undefined;
  const addresses = Array.isArray(s.addresses) ? s.addresses.filter((a): a is string => typeof a === 'string') : [];
  const referer = typeof s.referer?.address === 'string' ? s.referer.address : undefined;
  const address = addresses.find((a) => a.includes('.')) ?? addresses[0] ?? referer;
  if (address === undefined) return undefined;
  return { name: s.name, host: typeof s.host === 'string' ? s.host : '', address, addresses, port };
}

/**
 * A running browser: `up` for each session that appears, `down` for each that says goodbye
 * (or whose record expires). Holds at most 256 sessions (a `warning` once when full).
 */
export class RtpMidiBrowser extends Emitter<{ up: [DiscoveredRtpMidi]; down: [DiscoveredRtpMidi]; warning: [PhaselockError] }> implements AsyncDisposable {
  private readonly found = new Map<string, DiscoveredRtpMidi>();
  private bonjour: BonjourInstance | undefined;
  private browser: BonjourBrowser | undefined;
  private warnedFull = false;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: MdnsSocketOptions = {}) {
    super();
  }

  /** The sessions seen and not gone, in order of discovery. */
  get sessions(): DiscoveredRtpMidi[] {
    return [...this.found.values()];
  }

  /** Opens the mDNS socket and asks for `_apple-midi._udp` (E_SOCKET / E_UNAVAILABLE on failure). */
  async open(): Promise<this> {
    if (this.bonjour || this.closing) throw new PhaselockError('E_STATE', 'RtpMidiBrowser.open() called twice or after close()');
    const onWarning = (err: PhaselockError) => {
      this.options.onWarning?.(err);
      this.emit('warning', err);
    };
    this.bonjour = await openBonjour({ ...this.options, onWarning });
    this.browser = this.bonjour.find({ type: 'apple-midi', protocol: 'udp' });
    this.browser.on('up', (s) => this.onUp(s));
    this.browser.on('down', (s) => this.onDown(s));
    return this;
  }

  /** Asks again (answers can be lost; responders rate-limit). */
  refresh(): void {
    this.browser?.update();
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.browser?.stop();
      if (this.bonjour) await destroyBonjour(this.bonjour);
    })();
    return this.closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private key(s: DiscoveredRtpMidi): string {
    return s.name.toLowerCase();
  }

  private onUp(s: BonjourService): void {
    const found = toDiscovered(s);
    if (!found || this.closing) return;
    if (!this.found.has(this.key(found)) && this.found.size >= MAX_SESSIONS) {
      if (!this.warnedFull) this.emit('warning', new PhaselockError('E_PROTOCOL', `mDNS: more than ${MAX_SESSIONS} RTP-MIDI sessions advertised; ignoring the rest`));
      this.warnedFull = true;
      return;
    }
    this.found.set(this.key(found), found);
    this.emit('up', found);
  }

  private onDown(s: BonjourService): void {
    const gone = toDiscovered(s);
    if (!gone || !this.found.delete(this.key(gone))) return;
    this.emit('down', gone);
  }

  protected override onListenerError(err: unknown): void {
    this.emit('warning', new PhaselockError('E_STATE', `a listener threw: ${err instanceof Error ? err.message : String(err)}`, { cause: err }));
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

export interface BrowseRtpMidiOptions extends MdnsSocketOptions {
  /** How long to listen (default 2 s, at most 60 s). */
  timeoutMicros?: number;
  /** Ends the browse early (Ctrl-C): resolves with what was found so far. */
  signal?: AbortSignal;
}

/**
 * Browses for `timeoutMicros` (asking twice) and resolves with the sessions found. Schedules
 * I/O; rejects like {@link RtpMidiBrowser.open}.
 */
export async function browseRtpMidi(options: BrowseRtpMidiOptions = {}): Promise<DiscoveredRtpMidi[]> {
  const timeoutMicros = options.timeoutMicros ?? 2_000_000;
  if (!Number.isFinite(timeoutMicros) || timeoutMicros < 0 || timeoutMicros > MAX_TIMEOUT_MICROS) {
    throw new RangeError(`timeoutMicros must be in 0..${MAX_TIMEOUT_MICROS}, got ${timeoutMicros}`);
  }
  const browser = await new RtpMidiBrowser(options).open();
  try {
    const halfMs = timeoutMicros / 2000;
    await pause(halfMs, options.signal);
    if (!options.signal?.aborted) browser.refresh();
    await pause(halfMs, options.signal);
    return browser.sessions;
  } finally {
    await browser.close();
  }
}
