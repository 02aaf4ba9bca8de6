import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

/**
 * The staff console's QR encoder (a browser module, src/staff/public/qr.js) checked module by
 * module against an independent implementation: the QR code generator qrcode-terminal vendors
 * (Kazuhiko Arase's), for every mask and many versions. That one has a known slip in its table
 * for version 15-H (one block group missing), so the comparison uses levels L and M, the ones
 * the console uses.
 */

interface QrMatrix {
  version: number;
  size: number;
  mask: number;
  modules: boolean[][];
}
type Encode = (text: string, options?: { level?: 'L' | 'M' | 'Q' | 'H'; mask?: number }) => QrMatrix;
interface ReferenceQr {
  typeNumber: number;
  modules: boolean[][];
  addData(text: string): void;
  make(): void;
  makeImpl(test: boolean, mask: number): void;
}

const require = createRequire(import.meta.url);
const ReferenceQrCode = require('qrcode-terminal/vendor/QRCode') as new (
  version: number,
  level: number,
) => ReferenceQr;
const REFERENCE_LEVELS = require('qrcode-terminal/vendor/QRCode/QRErrorCorrectLevel') as Record<
  string,
  number
>;
// A plain JavaScript browser module: loaded by path, so the type checker does not look for its types.
const modulePath = new URL('../../src/staff/public/qr.js', import.meta.url).href;
const { encodeQr } = (await import(modulePath)) as { encodeQr: Encode };

const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@,+/=';
const sample = (length: number) =>
  Array.from({ length }, (_, i) => ALPHABET[(i * 7 + length) % ALPHABET.length]).join('');

describe('staff console QR encoder', () => {
  it.each(['L', 'M'] as const)('matches an independent encoder module for module (level %s)', (level) => {
    let compared = 0;
    for (const length of [1, 10, 17, 30, 60, 100, 150, 240, 320, 500, 800, 1200]) {
      const text = sample(length);
      const reference = new ReferenceQrCode(-1, REFERENCE_LEVELS[level] as number);
      reference.addData(text);
      reference.make();
      for (const mask of [0, 1, 2, 3, 4, 5, 6, 7]) {
        const ours = encodeQr(text, { level, mask });
        expect(ours.version, `length ${length}`).toBe(reference.typeNumber);
        reference.makeImpl(false, mask);
        expect(ours.modules, `length ${length}, mask ${mask}`).toEqual(reference.modules);
        compared++;
      }
    }
    expect(compared).toBe(96);
  });

  it('encodes a WhatsApp-sized login string, with UTF-8 text and a chosen mask', () => {
    const whatsapp = `2@${sample(180)},${sample(44)},${sample(44)},${sample(24)}`;
    const qr = encodeQr(whatsapp, { level: 'L' });
    expect(qr.size).toBe(qr.version * 4 + 17);
    expect(qr.mask).toBeGreaterThanOrEqual(0);
    // Finder pattern in the top-left corner: a dark 7×7 ring around a dark 3×3 centre.
    const finderRow = qr.modules[0]?.slice(0, 8);
    expect(finderRow).toEqual([true, true, true, true, true, true, true, false]);
    expect(qr.modules[3]?.slice(0, 7)).toEqual([true, false, true, true, true, false, true]);
    // Arabic text is encoded as UTF-8 bytes (two per letter here).
    expect(encodeQr('مرحبا', { level: 'M' }).version).toBe(1);
  });

  it('refuses a text longer than the largest code holds', () => {
    expect(() => encodeQr('x'.repeat(2953), { level: 'L' })).not.toThrow();
    expect(() => encodeQr('x'.repeat(2954), { level: 'L' })).toThrow(/too long/);
  });
});
