import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { configSchema, PROJECT_ROOT } from '../../src/config.js';

describe('README configuration table', () => {
  it('lists exactly the environment variables the app reads', async () => {
    const readme = await readFile(`${PROJECT_ROOT}README.md`, 'utf8');
    const section = readme.slice(
      readme.indexOf('## Configuration'),
      readme.indexOf('## What a beneficiary can do'),
    );
    const documented = [...section.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((match) => match[1]);
    expect(documented.sort()).toEqual(Object.keys(configSchema.shape).sort());
  });
});
