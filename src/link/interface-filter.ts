/**
 * Which interfaces a Link peer uses (pure): the `interfaces` option — interface names or IPv4
 * addresses — against the interfaces a runtime lists, and what to say about entries that
 * select nothing (link-wire-spec 01 §2: one gateway per IPv4 interface, rescanned every 5 s).
 *
 * A runtime lists the interfaces that are up, with their addresses (Node: `os.networkInterfaces()`,
 * which leaves out interfaces that are down or have no address at all). An entry "selects" an
 * IPv4 address of that list by its interface name or by the address itself.
 * @module
 */
import type { InterfaceAddress } from '../core/runtime.ts';
import { isIpv4 } from './address.ts';

const isUsable = (i: InterfaceAddress) => i.family === 'IPv4';

/** Whether filter `entry` (a name or an address) selects `iface`. Pure. */
export function selects(entry: string, iface: InterfaceAddress): boolean {
  return entry === iface.name || entry === iface.address;
}

/** The IPv4 addresses of `list` that `filter` selects (every one when `filter` is undefined). Pure. */
export function selectInterfaces(list: readonly InterfaceAddress[], filter: readonly string[] | undefined): InterfaceAddress[] {
  return list.filter((i) => isUsable(i) && (!filter || filter.some((f) => selects(f, i))));
}

/** The entries of `filter` that select no IPv4 address of `list`, each once, in the order given. Pure. */
export function unmatchedEntries(filter: readonly string[] | undefined, list: readonly InterfaceAddress[]): string[] {
  if (!filter) return [];
  const usable = list.filter(isUsable);
  return [...new Set(filter)].filter((f) => !usable.some((i) => selects(f, i)));
}

/** `lo 127.0.0.1, eth0 192.168.1.4`: the IPv4 addresses of `list` by interface, or `no IPv4 interface`. Pure. */
export function describeInterfaces(list: readonly InterfaceAddress[]): string {
  const usable = list.filter(isUsable);
  return usable.length > 0 ? usable.map((i) => `${i.name} ${i.address}`).join(', ') : 'no IPv4 interface';
}

/** Why an entry selects nothing. */
export type EntryProblem =
  /** An IPv4 address no interface that is up has. */
  | 'no-such-address'
  /** A name no interface that is up has (it may exist and be down: see `down`). */
  | 'no-such-interface'
  /** An interface that is up without an IPv4 address (listed with IPv6 addresses only). */
  | 'no-ipv4'
  /** An interface known to exist (`down`) that the runtime does not list: down, no carrier or no address. */
  | 'down';

/**
 * Why `entry` selects no IPv4 address of `list`, or undefined when it selects one. `down`: names
 * of interfaces that exist but are not listed (down, no carrier, no address), when the caller
 * knows them. Pure.
 */
export function entryProblem(entry: string, list: readonly InterfaceAddress[], down: readonly string[] = []): EntryProblem | undefined {
  if (list.some((i) => isUsable(i) && selects(entry, i))) return undefined;
  if (isIpv4(entry)) return 'no-such-address';
  if (list.some((i) => i.name === entry)) return 'no-ipv4';
  return down.includes(entry) ? 'down' : 'no-such-interface';
}

/**
 * What a peer says about its interface selection after a scan, or '' when there is nothing to
 * say: the entries of `filter` that select nothing, and whether any interface is left at all.
 * The text changes only when the situation does, so a caller warns when it changes (not at
 * every rescan). Pure.
 */
export function selectionComplaint(filter: readonly string[] | undefined, list: readonly InterfaceAddress[]): string {
  const unmatched = unmatchedEntries(filter, list);
  const used = selectInterfaces(list, filter);
  const named = unmatched.map((e) => `'${e}'`).join(', ');
  const here = `this machine has ${describeInterfaces(list)}`;
  if (used.length > 0) {
    if (unmatched.length === 0) return '';
    return `the interfaces option names ${named}, which ${unmatched.length === 1 ? 'is' : 'are'} no interface that is up with an IPv4 address ` +
      `(${here}); Link uses the others`;
  }
  const why = filter
    ? `none of ${named} is an interface that is up with an IPv4 address (${here})`
    : 'no interface that is up has an IPv4 address';
  return `Link has no usable network interface: ${why}; it will find no peers until one appears`;
}
