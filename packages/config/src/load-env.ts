import { config as loadDotenv } from 'dotenv';
import type { Env } from './parse-config.ts';

/**
 * The process environment with `.env` (from the working directory) underneath it: variables
 * already set win. Returns a copy; never mutates `process.env`.
 */
export function loadEnv(options: { path?: string; base?: Env } = {}): Env {
  const fromFile: Record<string, string> = {};
  loadDotenv({ path: options.path ?? '.env', processEnv: fromFile, quiet: true });
  return { ...fromFile, ...(options.base ?? process.env) };
}
