/** `npm run bench -- <calls|listener> [options]` */
const [name = 'calls', ...args] = process.argv.slice(2);
if (name === 'calls') {
  const { benchCalls } = await import('./calls.ts');
  await benchCalls(args);
} else if (name === 'listener') {
  // The listener benchmark lives beside this folder's sources.
  await import(new URL('../listener.ts', import.meta.url).href);
} else {
  console.error(`unknown benchmark "${name}": use calls or listener`);
  process.exitCode = 64;
}
