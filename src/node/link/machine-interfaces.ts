/**
 * This machine's network interfaces, as the CLI checks `-i NAME|ADDR` against them (L2): every
 * address of every interface that is up (`os.networkInterfaces()`: IPv4 and IPv6), and — on
 * Linux — the names of the interfaces that exist but that list leaves out (libuv lists only
 * interfaces that are up and running, and only their addresses). Light on purpose (node:os and
 * node:fs only): the command line is checked before any command loads.
 * @module
 */
import { readdirSync } from 'node:fs';
import os from 'node:os';
import type { InterfaceAddress } from '../../core/runtime.ts';

export interface MachineInterfaces {
  /** Every address of every interface that is up. */
  addresses: InterfaceAddress[];
  /**
   * Interfaces that exist but are not listed: down, without a carrier, or without any address
   * (Linux: from /sys/class/net; empty elsewhere).
   */
  down: string[];
}

/** Names of every interface, up or not (Linux); [] where /sys/class/net does not exist. */
function allInterfaceNames(): string[] {
  try {
    return readdirSync('/sys/class/net');
  } catch {
    return [];
  }
}

/** Reads the interfaces now (not cached: they come and go). */
export function machineInterfaces(): MachineInterfaces {
  const addresses: InterfaceAddress[] = [];
  for (const [name, addrs] of Object.entries(os.networkInterfaces())) {
    for (const a of addrs ?? []) {
      const prefixLength = Number((a.cidr ?? '/32').split('/')[1] ?? 32);
      addresses.push({ name, address: a.address, family: a.family === 'IPv4' ? 'IPv4' : 'IPv6', internal: a.internal, prefixLength });
    }
  }
  const listed = new Set(addresses.map((a) => a.name));
  return { addresses, down: allInterfaceNames().filter((name) => !listed.has(name)) };
}
