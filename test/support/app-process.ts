import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../src/config.js';

/** A free TCP port on localhost (nothing listens there once this resolves). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export interface AppProcess {
  child: ChildProcess;
  /** `http://127.0.0.1:<port>` of the app's HTTP server. */
  base: string;
  /** Everything the process wrote so far (stdout and stderr), for assertion messages. */
  output(): string;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  /** Polls `/healthz` until it answers 200; false if it never did within `timeoutMs`. */
  waitHealthy(timeoutMs?: number): Promise<boolean>;
}

/**
 * The app as production runs it — Node itself with tsx as a loader, so signals reach the app and
 * not a wrapper — on the embedded database in `dataDir` (DATABASE_URL blanked), listening on a
 * free port on localhost. `env` adds or overrides variables.
 */
export async function startAppProcess(dataDir: string, env: NodeJS.ProcessEnv = {}): Promise<AppProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'src', 'main.ts')], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      DATABASE_URL: '',
      LOG_LEVEL: 'info',
      ...env,
    },
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk;
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const base = `http://127.0.0.1:${port}`;
  const waitHealthy = async (timeoutMs = 120_000) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const up = await fetch(`${base}/healthz`).then(
        (response) => response.ok,
        () => false,
      );
      if (up) return true;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    return false;
  };
  return { child, base, output: () => output, exited, waitHealthy };
}
