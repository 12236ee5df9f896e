/** `npm run bench -- <calls|freshness|orders|listener|recordings|startup> [options]` */
const [name = 'calls', ...args] = process.argv.slice(2);
if (name === 'calls') {
  const { benchCalls } = await import('./calls.ts');
  await benchCalls(args);
} else if (name === 'freshness') {
  const { benchFreshness } = await import('./freshness.ts');
  await benchFreshness(args);
} else if (name === 'orders') {
  const { benchOrders } = await import('./orders.ts');
  await benchOrders(args);
} else if (name === 'recordings') {
  const { benchRecordings } = await import('./recordings.ts');
  await benchRecordings(args);
} else if (name === 'startup') {
  const { benchStartup } = await import('./startup.ts');
  await benchStartup(args);
} else if (name === 'listener') {
  // The listener benchmark lives beside this folder's sources.
  await import(new URL('../listener.ts', import.meta.url).href);
} else {
  console.error(
    `unknown benchmark "${name}": use calls, freshness, orders, listener, recordings or startup`,
  );
  process.exitCode = 64;
}
