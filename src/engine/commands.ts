import { normalizeForMatching } from '../text/arabic.js';
import { termsOf } from './matcher.js';

/** Commands that work in every state of every flow. */
export type GlobalCommand = 'menu' | 'cancel' | 'back' | 'human' | 'locale_ar' | 'locale_en';

// Written naturally and normalised once here, exactly as incoming text will be.
const normalizedSet = (words: string[]) => new Set(words.map(normalizeForMatching));
const MENU = normalizedSet([
  'القائمة',
  'القائمة الرئيسية',
  'قائمة',
  'الرئيسية',
  'القايمة',
  'menu',
  'main menu',
  '0',
  'menu please',
  'القايمه لو سمحت',
  'ابي القايمه',
  'اريد القايمه',
  'عرض القايمه',
]);
const CANCEL = normalizedSet([
  'إلغاء',
  'الغاء',
  'ألغي',
  'الغي',
  'الغيه',
  'إلغاء الطلب',
  'الغاء العملية',
  'cancel',
  'stop',
  'cancel please',
  'ابي الغي',
  'اريد الالغاء',
  'بطلت',
  'خلاص الغي',
  'الغاء العمليه',
]);
const BACK = normalizedSet(['رجوع', 'ارجع', 'الرجوع', 'السابق', 'back', 'go back', 'previous', 'رجعني']);
const LOCALE_EN = normalizedSet(['english', 'in english', 'انجليزي', 'بالانجليزي']);
const LOCALE_AR = normalizedSet(['عربي', 'العربيه', 'بالعربي', 'arabic']);
const SKIP = normalizedSet([
  'تخطي',
  'تجاوز',
  'skip',
  'لا',
  'لا شكرا',
  'لا يوجد',
  'ما عندي',
  'no',
  'no thanks',
  'no comment',
  'بدون',
  'لا تعليق',
]);

// Canonical terms (see termsOf) of verbs that ask to be put through.
const HANDOFF_VERBS = new Set(['اريد', 'كلم', 'تحويل', 'حولني', 'حولوني', 'وصلني', 'ابغي', 'بدي', 'محتاج']);

const SLASH = /^\/(start|menu|help|cancel)(@\w+)?$/;

/**
 * Detects a global command. Only short messages count: «ألغي» alone cancels, but a description
 * that happens to contain the word does not. Asking for a person is recognised from its terms
 * («موظف», «أبي أكلم حد», «customer service»).
 */
export function detectCommand(text: string): GlobalCommand | undefined {
  const slash = SLASH.exec(text.trim().toLowerCase());
  if (slash?.[1] === 'menu' || slash?.[1] === 'help') return 'menu';
  if (slash?.[1] === 'cancel') return 'cancel';
  const normalized = normalizeForMatching(text);
  if (MENU.has(normalized)) return 'menu';
  if (CANCEL.has(normalized)) return 'cancel';
  if (BACK.has(normalized)) return 'back';
  if (LOCALE_EN.has(normalized)) return 'locale_en';
  if (LOCALE_AR.has(normalized)) return 'locale_ar';
  return asksForHuman(normalized) ? 'human' : undefined;
}

function asksForHuman(normalized: string): boolean {
  const terms = termsOf(normalized);
  if (terms.length === 0 || terms.length > 7) return false;
  // «أبغى أحط تقييم للموظف» is about rating, not a request to be put through.
  if (terms.includes('تقييم')) return false;
  if (/خدمه العملا|customer (service|care|support)|real person|شخص حقيقي/.test(normalized)) return true;
  // «موظف» alone or with a request verb; not a question that merely mentions staff («هل التقييم يضر الموظف؟»).
  if (terms.includes('موظف') && (terms.length <= 2 || terms.some((term) => HANDOFF_VERBS.has(term))))
    return true;
  // «أبي أكلم حد» / «بدي احكي مع حدا»: talk + someone.
  return terms.includes('كلم') && (terms.includes('احد') || terms.includes('شخص'));
}

/** «تخطي», «لا», «skip»: the beneficiary declines an optional question. */
export function isSkip(text: string): boolean {
  return SKIP.has(normalizeForMatching(text));
}
