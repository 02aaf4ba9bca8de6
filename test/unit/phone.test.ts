import { describe, expect, it } from 'vitest';
import { maskPhone, parseSaudiMobile, toE164 } from '../../src/domain/phone.js';

const E164 = '+966512345678';

describe('parseSaudiMobile', () => {
  it.each([
    '0512345678',
    '512345678',
    '+966512345678',
    '00966512345678',
    '966512345678',
    '+966 51 234 5678',
    '051-234-5678',
    '(05) 1234 5678',
    ' 0512345678 ',
    '٠٥١٢٣٤٥٦٧٨',
    '۰۵۱۲۳۴۵۶۷۸',
    '+٩٦٦٥١٢٣٤٥٦٧٨',
    '٠٥١ ٢٣٤-٥٦٧٨',
  ])('normalises %j to +9665…', (input) => {
    expect(parseSaudiMobile(input)).toBe(E164);
  });

  it('keeps every subscriber digit', () => {
    expect(parseSaudiMobile('0598765432')).toBe('+966598765432');
    expect(parseSaudiMobile('٠٥٥٠٠٠٠٠٠١')).toBe('+966550000001');
  });

  it.each([
    ['landline', '0112345678'],
    ['not a 5 prefix', '0412345678'],
    ['too short', '051234567'],
    ['too long', '05123456789'],
    ['UAE number', '+9715012345678'],
    ['US number', '+1 512 345 6789'],
    ['letters mixed in', 'jawal 0512345678'],
    ['letter among digits', '05x1234567'],
    ['empty', ''],
    ['short', '0555'],
    ['extra zero after country code', '9660512345678'],
  ])('rejects %s (%j)', (_label, input) => {
    expect(parseSaudiMobile(input)).toBeUndefined();
  });
});

describe('toE164', () => {
  it.each([
    ['966512345678', '+966512345678'],
    ['00966512345678', '+966512345678'],
    ['+1 (555) 123-4567', '+15551234567'],
  ])('%j → %s', (input, expected) => {
    expect(toE164(input)).toBe(expected);
  });

  it('rejects numbers shorter than 8 or longer than 15 digits', () => {
    expect(toE164('1234567')).toBeUndefined();
    expect(toE164('1234567890123456')).toBeUndefined();
  });
});

describe('maskPhone', () => {
  it('keeps the country code, the 5 and the last three digits', () => {
    const masked = maskPhone(E164);
    expect(masked).toBe('+9665•••••678');
    expect(masked).toHaveLength(E164.length);
    expect(masked).not.toContain('12345');
  });
});
