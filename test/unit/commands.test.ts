import { describe, expect, it } from 'vitest';
import { detectCommand, isSkip } from '../../src/engine/commands.js';

describe('detectCommand', () => {
  it.each([
    'القائمة',
    'القائمه',
    'القايمة',
    'القائمة الرئيسية',
    'ابي القايمه',
    'menu',
    'MENU',
    'Menu',
    '0',
    '٠',
    '/menu',
    '/Menu',
    '/menu@CharityBot',
    '/help',
  ])('%j → menu', (text) => {
    expect(detectCommand(text)).toBe('menu');
  });

  it.each([
    'إلغاء',
    'الغاء',
    'إلغاء!',
    'ألغي',
    'الغاء الطلب',
    'إلغاء الطلب',
    'cancel',
    'Cancel',
    'stop',
    '/cancel',
    '/cancel@bot',
  ])('%j → cancel', (text) => {
    expect(detectCommand(text)).toBe('cancel');
  });

  it.each(['رجوع', 'الرجوع', 'السابق', 'back', 'go back'])('%j → back', (text) => {
    expect(detectCommand(text)).toBe('back');
  });

  it.each([
    'موظف',
    'أبي أكلم موظف',
    'ابي اكلم موظف',
    'أريد التحدث مع موظف',
    'بدي احكي مع حدا',
    'أبي أكلم حد',
    'customer service',
    'Customer Service please',
    'خدمة العملاء',
    'human',
    'agent',
    'real person',
  ])('%j → human', (text) => {
    expect(detectCommand(text)).toBe('human');
  });

  it('switches language', () => {
    expect(detectCommand('english')).toBe('locale_en');
    expect(detectCommand('بالانجليزي')).toBe('locale_en');
    expect(detectCommand('عربي')).toBe('locale_ar');
    expect(detectCommand('arabic')).toBe('locale_ar');
  });

  it.each([
    'أرجو إلغاء الطلب الذي قدمته أمس لأنني حصلت على وظيفة',
    'ابي الغي طلبي القديم لاني تقدمت بطلب جديد الاسبوع الماضي',
    'القائمة التي أرسلتموها لا تحتوي على ما أريد',
    'الموظف في الفرع قال لي ان طلبي ناقص ولازم ارسل اوراق الهويه وكشف الحساب البنكي',
    'اريد ان اشكر الموظف الذي ساعدني في تعبئة الطلب امس في فرع الرياض',
  ])('a long sentence containing a command word is not a command: %j', (text) => {
    expect(detectCommand(text)).toBeUndefined();
  });

  it.each(['مرحبا', '', '  ', 'اكلم', 'حد', 'كيف أقدم طلب'])('%j is not a command', (text) => {
    expect(detectCommand(text)).toBeUndefined();
  });
});

describe('isSkip', () => {
  it.each([
    'تخطي',
    'تخطى',
    'skip',
    'SKIP',
    'لا',
    'لا شكراً',
    'لا يوجد',
    'ما عندي',
    'no',
    'no thanks',
    'بدون',
    'لا تعليق',
  ])('%j skips', (text) => {
    expect(isSkip(text)).toBe(true);
  });

  it.each(['نعم', '', 'هاهاها', 'لا يوجد شيء', 'محمد'])('%j is an answer, not a skip', (text) => {
    expect(isSkip(text)).toBe(false);
  });
});
