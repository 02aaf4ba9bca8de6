import { spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/config.js';

const TSX = join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx');

/** Runs a CLI with the given stdin; resolves with its exit code and both streams. */
function run(script: string, input: string, env: Record<string, string> = {}, args: string[] = []) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(TSX, [join(PROJECT_ROOT, script), ...args], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, DATABASE_URL: '', LOG_LEVEL: 'info', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

// Each run boots its own in-memory PGlite (a few seconds, more on a busy CI machine).
describe('simulator (npm run --silent simulate)', { timeout: 120_000 }, () => {
  it('answers JSON lines with JSON lines naming flow and node, and exits 0 at end of input', async () => {
    const input = [
      { user: 'u1', text: 'السلام عليكم' },
      { user: 'u1', text: '٢' },
      { user: 'u2', text: 'متى يردون على الطلب؟', channel: 'telegram' },
      'this is not json',
      { user: 'u1', text: 'محمد عبدالله القحطاني', id: 'same' },
      { user: 'u1', text: 'محمد عبدالله القحطاني', id: 'same' },
    ]
      .map((line) => (typeof line === 'string' ? line : JSON.stringify(line)))
      .join('\n');
    const { code, stdout, stderr } = await run('src/cli/simulate.ts', `${input}\n`);
    expect(code).toBe(0);
    const lines = stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    for (const line of lines)
      expect(Object.keys(line).sort()).toEqual(['choices', 'flow', 'node', 'text', 'user']);
    expect(lines.map((l) => `${l.user} ${l.flow}/${l.node}`)).toEqual([
      'u1 main_menu/welcome',
      'u1 main_menu/menu',
      'u1 intake/intro',
      'u1 intake/name',
      'u2 faq/decision_time',
      'u1 intake/national_id',
      // The redelivered line gets the stored reply again, not a second turn.
      'u1 intake/national_id',
    ]);
    expect(lines[1]?.choices).toEqual([
      'الأسئلة الشائعة',
      'تقديم طلب دعم',
      'الاستعلام عن حالة طلب',
      'تقييم الخدمة',
      'التحدث مع موظف',
    ]);
    expect(stderr).toContain('line 4 ignored');
    // Logs never reach stdout, and never carry the text.
    expect(stderr).not.toContain('محمد');
  });

  /** Runs the simulator on `lines`; resolves with «user flow/node» of each bot message. */
  async function simulatedNodes(lines: readonly object[]): Promise<string[]> {
    const input = lines.map((line) => JSON.stringify(line)).join('\n');
    const { code, stdout } = await run('src/cli/simulate.ts', `${input}\n`);
    expect(code).toBe(0);
    return stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { user: string; flow: string; node: string })
      .map((l) => `${l.user} ${l.flow}/${l.node}`);
  }

  it('advances the simulated clock and writes the follow-ups that came due, at their time only', async () => {
    const nodes = await simulatedNodes([
      { user: 'u1', text: 'السلام عليكم' },
      { user: 'u1', text: '2' },
      { user: 'u1', text: 'محمد عبدالله القحطاني' },
      { user: 'u1', advance: '23h' },
      { user: 'u1', advance: '2h' },
      { user: 'u1', advance: '7d' },
    ]);
    expect(nodes).toEqual([
      'u1 main_menu/welcome',
      'u1 main_menu/menu',
      'u1 intake/intro',
      'u1 intake/name',
      'u1 intake/national_id',
      // 23h: nothing yet. 25h: the reminder, and the question they stopped at.
      'u1 intake/intake_reminder',
      'u1 intake/national_id',
      // 7 days: the unfinished request expires, back to the menu.
      'u1 main_menu/intake_expired',
      'u1 main_menu/menu',
    ]);
  });

  it('counts the reminder and the expiry from the last answer, not from the start of the intake', async () => {
    const nodes = await simulatedNodes([
      { user: 'u1', text: 'السلام عليكم' },
      { user: 'u1', text: '٢' },
      { user: 'u1', advance: '20h' },
      { user: 'u1', text: 'محمد أحمد العتيبي' },
      { user: 'u1', advance: '5h' },
      { user: 'u1', advance: '20h' },
      { user: 'u1', text: '1000000008' },
      { user: 'u1', advance: '6d' },
      { user: 'u1', advance: '2d' },
    ]);
    expect(nodes).toEqual([
      'u1 main_menu/welcome',
      'u1 main_menu/menu',
      'u1 intake/intro',
      'u1 intake/name',
      // 20h after the start: nothing. The answer, then 25h after the start but 5h after it:
      // nothing either. 25h after the answer: the reminder and the question.
      'u1 intake/national_id',
      'u1 intake/intake_reminder',
      'u1 intake/national_id',
      'u1 intake/mobile',
      // 6 days after the last answer (over 7 after the start): still open. 8 days: expired.
      'u1 main_menu/intake_expired',
      'u1 main_menu/menu',
    ]);
  });

  it('starts every run on a fresh database', async () => {
    const line = `${JSON.stringify({ user: 'u1', text: 'حالة طلبي' })}\n`;
    const first = await run('src/cli/simulate.ts', line);
    const second = await run('src/cli/simulate.ts', line);
    expect(JSON.parse(first.stdout).node).toBe('none');
    expect(JSON.parse(second.stdout).node).toBe('none');
  });

  it('stops with one clear line on invalid configuration', async () => {
    const { code, stderr } = await run('src/cli/simulate.ts', '', { HANDOFF_ACK_INTERVAL: 'soon' });
    expect(code).toBe(1);
    expect(
      stderr
        .trim()
        .split('\n')
        .filter((l) => !l.includes('npm warn')),
    ).toEqual([
      'Invalid configuration: HANDOFF_ACK_INTERVAL: expected a duration such as 30s, 10m, 24h or 7d (got "soon")',
    ]);
  });
});

describe('flow linter (npm run flows:check)', () => {
  it('passes on the shipped flows and fails, naming file and node, on a broken copy', async () => {
    const ok = await run('src/cli/flows-check.ts', '');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('no problems');

    const dir = await mkdtemp(join(tmpdir(), 'flows-check-'));
    try {
      await cp(join(PROJECT_ROOT, 'flows'), dir, { recursive: true });
      const rating = await readFile(join(dir, 'rating.yaml'), 'utf8');
      await writeFile(join(dir, 'rating.yaml'), rating.replace('next: comment', 'next: commment'));
      const broken = await run('src/cli/flows-check.ts', '', {}, [dir]);
      expect(broken.code).toBe(1);
      expect(broken.stderr).toMatch(/rating\.yaml: .*score.*commment/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
