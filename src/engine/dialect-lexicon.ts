import { normalizeForMatching } from '../text/arabic.js';

/**
 * Dialect words (Gulf, Levantine, Egyptian, MSA) folded onto one canonical word each, after
 * normalisation, so that «وش»، «شو»، «ايش» and «ماذا» count as the same question word in the matcher.
 * Keys and values are in normalised form (no hamza, ة→ه, ى→ي).
 */
const GROUPS: Record<string, string[]> = {
  ماذا: ['وش', 'ايش', 'شو', 'شنو', 'ايه', 'شنهو', 'what', 'whats'],
  كيف: ['ازاي', 'كيفاش', 'شلون', 'كيفية', 'كيفيه', 'طريقه', 'طريقة', 'how'],
  اين: ['وين', 'فين', 'where'],
  متي: ['امتي', 'ايمتي', 'امتا', 'when'],
  لماذا: ['ليش', 'ليه', 'لمه', 'why'],
  اريد: ['ابي', 'ابغي', 'ابغا', 'ابا', 'بدي', 'عايز', 'عاوز', 'ودي', 'حاب', 'نبي', 'نبغي', 'ابغيت', 'بغيت', 'want', 'need'],
  احد: ['حد', 'حدا', 'someone', 'somebody'],
  كلم: ['اكلم', 'احكي', 'اتكلم', 'اتواصل', 'احاكي', 'اكلمه', 'يكلمني', 'talk', 'speak', 'chat'],
  موظف: ['موظفه', 'الموظف', 'انسان', 'بشري', 'agent', 'human', 'person', 'staff', 'representative', 'operator'],
  تقديم: ['اقدم', 'قدم', 'اسجل', 'تسجيل', 'التقديم', 'نقدم', 'apply', 'application', 'register', 'submit'],
  طلب: ['request', 'requests', 'طلبي', 'طلباتي', 'معاملتي', 'معامله', 'معاملة'],
  مساعده: ['مساعدة', 'معونه', 'اعانه', 'دعم', 'help', 'support', 'aid', 'assistance'],
  حاله: ['status', 'state', 'وضع', 'مصير'],
  تقييم: ['اقيم', 'قيم', 'rate', 'rating', 'feedback', 'review'],
  وثايق: ['اوراق', 'مستندات', 'مستند', 'اوراقي', 'وثيقه', 'documents', 'papers', 'docs'],
  تواصل: ['اتصال', 'اتصل', 'اكلمكم', 'نتواصل', 'contact', 'reach', 'call'],
  رقم: ['number', 'phone', 'جوال', 'هاتف', 'تلفون', 'تليفون', 'موبايل'],
  رد: ['يردون', 'يرد', 'تردون', 'ردكم', 'الرد', 'reply', 'answer', 'response', 'يردوا'],
  مده: ['مدة', 'وقت', 'فتره', 'long', 'time', 'duration', 'ياخذ', 'تاخذ', 'ياخد', 'تاخد'],
  جمعيه: ['association', 'charity', 'organization', 'جمعيتكم'],
  خدمات: ['خدماتكم', 'services', 'service', 'تقدمون', 'تقدموا'],
  نعم: ['ايوه', 'اي', 'ايوا', 'yes'],
};

// Normalised once here, so entries may be written with or without hamzas and ة.
export const DIALECT_LEXICON: ReadonlyMap<string, string> = new Map(
  Object.entries(GROUPS).flatMap(([canonical, variants]) => [
    [normalizeForMatching(canonical), normalizeForMatching(canonical)] as const,
    ...variants.map((variant) => [normalizeForMatching(variant), normalizeForMatching(canonical)] as const),
  ]),
);

/**
 * Words that carry no topic on their own (politeness, pronouns, prepositions). Question words
 * and "want" are not here: they tell "when" from "how" and are weighed by rarity instead.
 */
export const STOPWORDS: ReadonlySet<string> = new Set(
  [
  'في', 'من', 'علي', 'عن', 'الي', 'اللي', 'الذي', 'التي', 'هل', 'انا', 'انت', 'انتم', 'احنا', 'نحن', 'يا', 'و', 'او',
  'ثم', 'بس', 'لو', 'سمحت', 'سمحتوا', 'ممكن', 'الله', 'يعطيك', 'العافيه', 'عافيه', 'شكرا', 'مع', 'هذا', 'هذه', 'هاد',
  'هذي', 'ذا', 'عندي', 'عندكم', 'لي', 'لكم', 'كان', 'يكون', 'تكون', 'مره', 'مرة', 'اخوي', 'اخي', 'اختي', 'يعني',
  'please', 'pls', 'plz', 'the', 'a', 'an', 'to', 'is', 'are', 'i', 'my', 'me', 'you', 'your', 'of', 'for', 'in',
  'on', 'do', 'can', 'it', 'and', 'with', 'about', 'lo', 'ابغاكم', 'طال', 'عمرك', 'فضلك', 'فضلكم', 'لوسمحت',
  ].map(normalizeForMatching),
);
