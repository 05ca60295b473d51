/**
 * Stream addresses (L0, pure): telling TCP from unix-domain addresses, and printing them.
 * @module
 */
import type { StreamAddress, TcpAddress, UnixAddress } from './runtime.ts';

/** True for a unix-domain socket address. Pure. */
export function isUnixAddress(address: StreamAddress): address is UnixAddress {
  return typeof (address as Partial<UnixAddress>).path === 'string';
}

/** True for a TCP address. Pure. */
export function isTcpAddress(address: StreamAddress): address is TcpAddress {
  return !isUnixAddress(address);
}

/** `tcp://127.0.0.1:17000`, `tcp://[::1]:17000` or `unix:/run/mpv.sock`. Pure. */
export function formatStreamAddress(address: StreamAddress): string {
  if (isUnixAddress(address)) return `unix:${address.path}`;
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  return `tcp://${host}:${address.port}`;
}
