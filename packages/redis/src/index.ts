export * from './create-redis.ts';
export * from './eviction-policy.ts';
export * from './keys.ts';
