import { createCalltouchStack, type CalltouchStack } from '@touchline/calltouch-delivery';
import type { RoleContext } from '@touchline/runtime';
import { calltouchStackOptions, type CalltouchStackConfig } from './options.ts';

/**
 * The process's Calltouch stack — client, limiter connection, points budget — built once and
 * shared by its roles (in `all`, the worker and the leads export), closed after them.
 */
export function calltouchStackOf(config: CalltouchStackConfig, ctx: RoleContext): CalltouchStack {
  return ctx.shared('calltouch', () =>
    createCalltouchStack(calltouchStackOptions(config), ctx.redis, ctx.registry, ctx.logger),
  );
}
