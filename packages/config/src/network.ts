import { isIP } from 'node:net';
import { z } from 'zod';

/** One block of addresses: `85.94.49.0/25`, `2001:db8::/32`, or one address. */
export interface Cidr {
  readonly address: string;
  readonly prefix: number;
  readonly family: 'ipv4' | 'ipv6';
}

const unsetIfEmpty = (value: unknown): unknown =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

/** Reads `a.b.c.d/n` (or a bare address: /32, /128); undefined when it is not one. */
export function parseCidr(text: string): Cidr | undefined {
  const [address = '', bits, ...rest] = text.trim().split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return undefined;
  const max = version === 4 ? 32 : 128;
  const prefix = bits === undefined ? max : Number(bits);
  if (!/^\d+$/.test(bits ?? String(max)) || prefix > max) return undefined;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/** A comma-separated list of CIDR blocks (an allow-list of webhook senders). */
export const cidrList = () =>
  z.preprocess(
    unsetIfEmpty,
    z
      .string({ error: 'required: CIDR blocks separated by commas, e.g. 85.94.49.0/25' })
      .transform((list, ctx) => {
        const blocks: Cidr[] = [];
        for (const item of list.split(',')) {
          const cidr = parseCidr(item);
          if (cidr) blocks.push(cidr);
          else {
            ctx.addIssue({ code: 'custom', message: `not a CIDR block: "${item.trim()}"` });
            return z.NEVER;
          }
        }
        return blocks;
      }),
  );

/**
 * Which proxies in front of the HTTP role to believe about the client's address
 * (`X-Forwarded-For`): `false` (none: the socket's peer is the client), `true` (any), a number
 * of hops, or proxy addresses / CIDR blocks separated by commas. As Fastify's `trustProxy`.
 */
export type TrustProxy = boolean | number | string[];

export const trustProxy = () =>
  z.preprocess(
    unsetIfEmpty,
    z
      .string({ error: 'required: false, true, a number of hops, or proxy CIDR blocks' })
      .transform((text, ctx): TrustProxy => {
        const value = text.trim().toLowerCase();
        if (value === 'false') return false;
        if (value === 'true') return true;
        if (/^\d+$/.test(value)) return Number(value);
        const blocks = value.split(',').map((b) => b.trim());
        if (blocks.every((b) => parseCidr(b) !== undefined)) return blocks;
        ctx.addIssue({
          code: 'custom',
          message: 'expected false, true, a number of hops, or proxy addresses/CIDR blocks',
        });
        return z.NEVER;
      }),
  );
