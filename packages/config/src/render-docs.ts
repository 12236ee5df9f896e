import { variableDocs } from './variables.ts';

const groups = () => {
  const byGroup = new Map<string, typeof variableDocs>();
  for (const doc of variableDocs) byGroup.set(doc.group, [...(byGroup.get(doc.group) ?? []), doc]);
  return byGroup;
};

/** `.env.example`: every variable with its default, credentials left blank. */
export function renderEnvExample(): string {
  const out = [
    '# Touchline configuration. Copy to .env; variables already set in the environment win.',
    '# Generated from packages/config/src/variables.ts (npm run docs:config): edit there.',
    '',
  ];
  for (const [group, docs] of groups()) {
    out.push(`# --- ${group} ---`);
    for (const doc of docs) {
      out.push(`# ${doc.doc}${doc.required ? ' (required by the roles that use it)' : ''}`);
      out.push(`${doc.default === undefined ? '# ' : ''}${doc.name}=${doc.default ?? ''}`);
    }
    out.push('');
  }
  return out.join('\n');
}

/** `docs/configuration.md`: the configuration reference. */
export function renderConfigReference(): string {
  const out = [
    '# Configuration reference',
    '',
    '<!-- Generated from packages/config/src/variables.ts by `npm run docs:config`; a test fails when it is stale. -->',
    '',
    'Touchline reads its configuration from the environment, with `.env` in the working directory',
    'underneath it. Each role validates only the variables it uses, at start-up, and stops with one',
    'message that lists every bad or missing variable. Empty values count as unset.',
    '',
  ];
  for (const [group, docs] of groups()) {
    out.push(`## ${group}`, '', '| variable | default | description |', '|---|---|---|');
    for (const doc of docs) {
      const def =
        doc.default !== undefined ? `\`${doc.default}\`` : doc.required ? 'required' : '—';
      out.push(
        `| \`${doc.name}\` | ${def} | ${doc.doc.replace(/\|/g, '\\|')}${doc.secret ? ' Secret: never logged.' : ''} |`,
      );
    }
    out.push('');
  }
  return out.join('\n');
}
