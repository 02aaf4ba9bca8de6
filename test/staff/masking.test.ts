import { describe, expect, it } from 'vitest';
import { maskPersonalNumbers } from '../../src/staff/masking.js';

const ARABIC_INDIC = '٠١٢٣٤٥٦٧٨٩';
const EASTERN_ARABIC = '۰۱۲۳۴۵۶۷۸۹';
const inScript = (digits: string, script: string) => digits.replace(/\d/g, (d) => script[Number(d)] ?? d);

describe('maskPersonalNumbers', () => {
  it('masks a national ID or iqama typed alone or in a sentence, check digit or not', () => {
    expect(maskPersonalNumbers('1098765434')).toBe('1*******34');
    expect(maskPersonalNumbers('رقم هويتي 2123456784 شكرا')).toBe('رقم هويتي 2*******84 شكرا');
    // A mistyped ID (wrong check digit) is as personal as a valid one.
    expect(maskPersonalNumbers('1098765430')).toBe('1*******30');
    expect(maskPersonalNumbers('هويتي:1098765434.')).toBe('هويتي:1*******34.');
  });

  it('masks IDs and mobiles in Arabic-Indic and Eastern Arabic digits', () => {
    expect(maskPersonalNumbers(inScript('1098765434', ARABIC_INDIC))).toBe('1*******34');
    expect(maskPersonalNumbers(inScript('1098765434', EASTERN_ARABIC))).toBe('1*******34');
    expect(maskPersonalNumbers(`جوالي ${inScript('0512345667', ARABIC_INDIC)}`)).toBe('جوالي +9665******67');
    expect(maskPersonalNumbers(inScript('050 123 4567', EASTERN_ARABIC))).toBe('+9665******67');
  });

  it('masks Saudi mobiles however they are written, as +9665******NN', () => {
    for (const written of [
      '0512345667',
      '512345667',
      '966512345667',
      '+966512345667',
      '00966512345667',
      '+966 51 234 5667',
      '051-234-5667',
      '051 - 234 - 5667',
      '+966 - 51 - 2345667',
      '\u200E+966512345667\u200E',
    ]) {
      expect(maskPersonalNumbers(written).replace(/\u200E/g, ''), written).toBe('+9665******67');
    }
    // Bot replies repeat it, e.g. the intake summary.
    expect(maskPersonalNumbers('• الجوال: +966512345667\n• المدينة: الرياض')).toBe(
      '• الجوال: +9665******67\n• المدينة: الرياض',
    );
  });

  it('masks an ID typed in groups, and each of two numbers in one run', () => {
    expect(maskPersonalNumbers('1098 765 434')).toBe('1*******34');
    expect(maskPersonalNumbers('1 0 9 8 7 6 5 4 3 4')).toBe('1*******34');
    expect(maskPersonalNumbers('1098765434 0512345667')).toBe('1*******34 +9665******67');
    expect(maskPersonalNumbers('الهوية 1098765434 والجوال 0512345667')).toBe(
      'الهوية 1*******34 والجوال +9665******67',
    );
  });

  it('leaves references, amounts, dates and other numbers as written', () => {
    const untouched = [
      'رقم الطلب 12345674',
      'رقم الطلب: ١٢٣٤٥٦٧٤',
      'الدخل الشهري: 3500 ريال',
      'الدخل الشهري: ٣٬٥٠٠ ريال',
      'عدد أفراد الأسرة 5',
      '2025-03-15',
      '10:30',
      // Not 10 digits, not starting with 1 or 2, not a Saudi mobile.
      '123456789',
      '12345678901',
      '3098765434',
      '0412345667',
      '+201001234567',
      'أسرة من خمسة أفراد تحتاج إلى سلة غذائية.',
      '• 12345674 — دعم غذائي — قيد الدراسة',
    ];
    for (const text of untouched) expect(maskPersonalNumbers(text), text).toBe(text);
    // A reference next to another number is not read as an ID with it.
    expect(maskPersonalNumbers('الطلب 12345674 15')).toBe('الطلب 12345674 15');
  });

  it('drops a number cut off at the end of a truncated text rather than show part of it', () => {
    expect(maskPersonalNumbers('رقم هويتي 109876', { truncated: true })).toBe('رقم هويتي');
    expect(maskPersonalNumbers('رقم هويتي 1098765434 شكرا', { truncated: true })).toBe(
      'رقم هويتي 1*******34 شكرا',
    );
    expect(maskPersonalNumbers('رقم هويتي 109876')).toBe('رقم هويتي 109876');
  });
});
