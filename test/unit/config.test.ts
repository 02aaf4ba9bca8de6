import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

function configError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected loadConfig to throw');
}

describe('loadConfig defaults', () => {
  const config = loadConfig({});

  it('uses the documented defaults', () => {
    expect(config.PORT).toBe(3000);
    expect(config.HOST).toBe('0.0.0.0');
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.DATA_DIR).toBe('./data');
    expect(config.LOG_LEVEL).toBe('info');
    expect(config.DEFAULT_LOCALE).toBe('ar');
    expect(config.HANDOFF_ACK_INTERVAL).toBe(600_000);
    expect(config.LOOKUP_MAX_FAILURES).toBe(3);
    expect(config.LOOKUP_BLOCK).toBe(60_000);
    expect(config.CONTACT_DETAILS).toBeUndefined();
  });

  it('points flows and locales at the project folders, whatever the working directory', () => {
    expect(config.FLOWS_DIR.endsWith('flows')).toBe(true);
    expect(config.LOCALES_DIR.endsWith('locales')).toBe(true);
    expect(existsSync(config.FLOWS_DIR)).toBe(true);
    expect(existsSync(config.LOCALES_DIR)).toBe(true);
  });
});

describe('loadConfig values', () => {
  it('reads numbers, durations and URLs', () => {
    const config = loadConfig({
      PORT: '8080',
      HANDOFF_ACK_INTERVAL: '10m',
      LOOKUP_BLOCK: '90s',
      DATABASE_URL: 'postgres://u:p@db/bot',
      LOOKUP_MAX_FAILURES: '5',
      DEFAULT_LOCALE: 'en',
    });
    expect(config.PORT).toBe(8080);
    expect(config.HANDOFF_ACK_INTERVAL).toBe(600_000);
    expect(config.LOOKUP_BLOCK).toBe(90_000);
    expect(config.DATABASE_URL).toBe('postgres://u:p@db/bot');
    expect(config.LOOKUP_MAX_FAILURES).toBe(5);
    expect(config.DEFAULT_LOCALE).toBe('en');
  });

  it('reads TRUST_PROXY as none, any, a hop count or a list of proxies, and refuses anything else', () => {
    expect(loadConfig({}).TRUST_PROXY).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'true' }).TRUST_PROXY).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '1' }).TRUST_PROXY).toBe(1);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).TRUST_PROXY).toEqual([
      '10.0.0.0/8',
      '127.0.0.1',
    ]);
    expect(configError({ TRUST_PROXY: 'yes please' }).message).toMatch(
      /^Invalid configuration: TRUST_PROXY: expected true, false/,
    );
  });

  it('treats empty DATABASE_URL and CONTACT_DETAILS as unset', () => {
    const config = loadConfig({ DATABASE_URL: '', CONTACT_DETAILS: '' });
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.CONTACT_DETAILS).toBeUndefined();
  });
});

describe('loadConfig errors', () => {
  it.each(['abc', '0', '70000', '3.5'])('PORT=%j is a one-line ConfigError naming PORT', (port) => {
    const error = configError({ PORT: port });
    expect(error.name).toBe('ConfigError');
    expect(error.message).toMatch(/^Invalid configuration: PORT: /);
    expect(error.message).not.toContain('\n');
    expect(error.message).toContain(JSON.stringify(port));
  });

  it('keeps the message on one line even when the value has a newline', () => {
    const error = configError({ PORT: 'abc\ndef' });
    expect(error.message).not.toContain('\n');
    expect(error.message).toContain('PORT');
  });

  it('truncates a very long value', () => {
    const error = configError({ PORT: 'x'.repeat(200) });
    expect(error.message).not.toContain('x'.repeat(61));
  });

  it('never echoes DATABASE_URL back', () => {
    const error = configError({ DATABASE_URL: 'mysql://user:s3cret@db.example/bot' });
    expect(error.message).toMatch(/^Invalid configuration: DATABASE_URL: /);
    expect(error.message).not.toContain('s3cret');
    expect(error.message).not.toContain('mysql://');
  });

  it.each([
    ['HANDOFF_ACK_INTERVAL', 'soon'],
    ['LOOKUP_BLOCK', '5 minutes'],
    ['LOG_LEVEL', 'loud'],
    ['DEFAULT_LOCALE', 'fr'],
    ['LOOKUP_MAX_FAILURES', '0'],
  ])('%s=%j names the variable', (variable, value) => {
    const error = configError({ [variable]: value });
    expect(error.message.startsWith(`Invalid configuration: ${variable}: `)).toBe(true);
    expect(error.message).not.toContain('\n');
  });
});
