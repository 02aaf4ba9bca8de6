import { describe, expect, it } from 'vitest';
import { luhnCheckDigit } from '../../src/domain/luhn.js';
import { maskNationalId, parseNationalId } from '../../src/domain/national-id.js';

const withCheck = (payload: string) => `${payload}${luhnCheckDigit(payload)}`;
const toArabicIndic = (s: string) => s.replace(/\d/g, (d) => String.fromCharCode(0x0660 + Number(d)));
const toPersian = (s: string) => s.replace(/\d/g, (d) => String.fromCharCode(0x06f0 + Number(d)));

const CITIZEN = withCheck('100000000');
const IQAMA = withCheck('234567890');
const OTHER = withCheck('109876543');

describe('parseNationalId', () => {
  it.each([
    [CITIZEN, CITIZEN],
    [IQAMA, IQAMA],
    [OTHER, OTHER],
    [toArabicIndic(CITIZEN), CITIZEN],
    [toPersian(IQAMA), IQAMA],
    [` ${CITIZEN} `, CITIZEN],
    [`${CITIZEN.slice(0, 3)} ${CITIZEN.slice(3, 6)} ${CITIZEN.slice(6)}`, CITIZEN],
    [`${IQAMA.slice(0, 5)}-${IQAMA.slice(5)}`, IQAMA],
  ])('accepts %j as %s', (input, expected) => {
    expect(parseNationalId(input)).toEqual({ ok: true, value: expected });
  });

  it.each([
    [CITIZEN.slice(0, 9), 'length'],
    [`${CITIZEN}1`, 'length'],
    ['', 'length'],
    ['   ', 'length'],
    [`ID${CITIZEN}`, 'length'],
    [`هويتي ${CITIZEN}`, 'length'],
    [withCheck('300000000'), 'prefix'],
    [withCheck('000000000'), 'prefix'],
    [withCheck('900000000'), 'prefix'],
    [`${CITIZEN.slice(0, 9)}${(Number(CITIZEN[9]) + 1) % 10}`, 'checksum'],
    [`${IQAMA.slice(0, 9)}${(Number(IQAMA[9]) + 5) % 10}`, 'checksum'],
  ])('rejects %j with problem %s', (input, problem) => {
    expect(parseNationalId(input)).toEqual({ ok: false, problem });
  });

  it('rejects a swap of two adjacent digits', () => {
    // 1 0 0 … → 0 1 … changes the prefix; swap two distinct inner digits instead.
    const id = withCheck('123456789');
    const swapped = `${id.slice(0, 3)}${id[4]}${id[3]}${id.slice(5)}`;
    expect(parseNationalId(swapped)).toEqual({ ok: false, problem: 'checksum' });
  });
});

describe('maskNationalId', () => {
  it('shows only the last four digits', () => {
    const masked = maskNationalId(CITIZEN);
    expect(masked).toBe(`••••••${CITIZEN.slice(-4)}`);
    expect(masked).toHaveLength(10);
    expect(masked).not.toContain(CITIZEN.slice(0, 6));
  });

  it('does not fail on short input', () => {
    expect(maskNationalId('123')).toBe('123');
    expect(maskNationalId('')).toBe('');
  });
});
