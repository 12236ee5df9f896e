import { createHash, timingSafeEqual } from 'node:crypto';
import { BlockList, isIP } from 'node:net';

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/**
 * A check of a presented secret against the expected one in constant time: both sides are
 * hashed first, so the time does not depend on where they differ nor on their lengths.
 */
export function createSecretCheck(expected: string): (presented: unknown) => boolean {
  const want = digest(expected);
  return (presented) => {
    const given = digest(typeof presented === 'string' ? presented : '');
    return timingSafeEqual(given, want) && typeof presented === 'string';
  };
}

/** One block of addresses, as the configuration gives it. */
export interface AddressBlock {
  readonly address: string;
  readonly prefix: number;
  readonly family: 'ipv4' | 'ipv6';
}

/**
 * Whether an address is in one of the blocks (an allow-list of webhook senders). IPv4 addresses
 * written as IPv6 (`::ffff:85.94.49.7`, how a dual-stack socket reports them) count as IPv4.
 */
export function createAddressAllowList(
  blocks: readonly AddressBlock[],
): (address: string | undefined) => boolean {
  const list = new BlockList();
  for (const block of blocks) list.addSubnet(block.address, block.prefix, block.family);
  return (address) => {
    if (!address) return false;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
    const plain = mapped ?? address;
    const version = isIP(plain);
    if (version === 0) return false;
    return list.check(plain, version === 4 ? 'ipv4' : 'ipv6');
  };
}
