export * from './wait-for.ts';
export * from './redis-server.ts';
export * from './test-redis.ts';
export * from './silent-logger.ts';
export * from './processes.ts';
export * from './fixtures.ts';
export * from './redis-fixture.ts';
