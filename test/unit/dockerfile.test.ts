import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/config.js';

/**
 * No Docker engine runs where the tests run, so the image is checked by reading: every folder
 * the app reads at run time from the project root (static pages served by the HTTP server, the
 * flows and locales) must be copied into the runtime stage, or the deployed app serves 404s.
 */
describe('Dockerfile runtime stage', () => {
  it('copies every folder the app reads from the project root at run time', async () => {
    const dockerfile = await readFile(`${PROJECT_ROOT}Dockerfile`, 'utf8');
    const runtime = dockerfile.slice(dockerfile.indexOf('AS runtime'));
    const copied = [...runtime.matchAll(/^COPY (?:--from=\S+ )?(\S+) /gm)].map((match) =>
      (match[1] as string).replace(/^\/app\//, ''),
    );
    const sources = await Promise.all(
      ['src/http/server.ts', 'src/config.ts'].map((file) => readFile(`${PROJECT_ROOT}${file}`, 'utf8')),
    );
    const readAtRunTime = sources.flatMap((source) =>
      [...source.matchAll(/\$\{PROJECT_ROOT\}([\w/.-]+)/g)].map((match) => match[1] as string),
    );
    expect(readAtRunTime).toEqual(
      expect.arrayContaining(['src/http/public', 'src/staff/public', 'flows', 'locales']),
    );
    for (const path of readAtRunTime) expect(copied, `${path} is not copied into the image`).toContain(path);
    expect(copied).toEqual(expect.arrayContaining(['dist', 'node_modules', 'package.json']));
  });
});
