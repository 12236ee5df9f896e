export * from './helpers.ts';
export * from './parse-config.ts';
export * from './variables.ts';
export * from './schemas.ts';
export { loadEnv } from './load-env.ts';
export * from './redis-url.ts';
export { parseSigningKeys, signingKeys, type ParsedSigningKeys } from './signing-keys.ts';
export { parseCidr, type Cidr, type TrustProxy } from './network.ts';
