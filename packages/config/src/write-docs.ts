import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderConfigReference, renderEnvExample } from './render-docs.ts';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');
export const ENV_EXAMPLE_PATH = join(ROOT, '.env.example');
export const CONFIG_DOC_PATH = join(ROOT, 'docs/configuration.md');

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(ENV_EXAMPLE_PATH, renderEnvExample());
  writeFileSync(CONFIG_DOC_PATH, renderConfigReference());
  console.log(`wrote ${ENV_EXAMPLE_PATH} and ${CONFIG_DOC_PATH}`);
}
