/** Exit status of a command whose role is not built yet: never a fake success. */
export const EXIT_NOT_AVAILABLE = 69;

export function notAvailable(command: string): never {
  process.stderr.write(`touchline ${command}: not available yet in this version.\n`);
  process.exit(EXIT_NOT_AVAILABLE);
}
