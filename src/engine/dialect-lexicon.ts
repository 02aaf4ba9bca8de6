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
  اريد: ['ابي', 'ابغي', 'ابغا', 'ابا', 'بدي', 'عايز', 'عاوز', 'ودي', 'حاب', 'نبي', 'نبغي', 'ابغيت', 'بغيت', 'ارغب', 'نرغب', 'احتاج', 'محتاج', 'نحتاج', 'محتاجين', 'want', 'need', 'like'],
  احد: ['حد', 'حدا', 'someone', 'somebody'],
  كلم: ['اكلم', 'احكي', 'اتكلم', 'اتواصل', 'احاكي', 'اكلمه', 'يكلمني', 'talk', 'speak', 'chat'],
  موظف: ['موظفه', 'الموظف', 'الموظفين', 'موظفين', 'بشري', 'مختص', 'المختص', 'agent', 'human', 'person', 'staff', 'representative', 'operator', 'employee'],
  تقديم: ['اقدم', 'قدم', 'اسجل', 'اتسجل', 'يسجل', 'نسجل', 'تسجيل', 'التقديم', 'نقدم', 'يقدم', 'apply', 'application', 'register', 'submit'],
  طلب: ['request', 'requests', 'طلبي', 'طلباتي', 'معاملتي', 'معامله', 'معاملة', 'معاملات'],
  مساعده: ['مساعدة', 'مساعدات', 'معونه', 'اعانه', 'دعم', 'تساعدون', 'تساعدوني', 'تساعدني', 'help', 'support', 'aid', 'assistance'],
  حاله: ['status', 'state', 'وضع', 'مصير', 'track'],
  قبول: ['انقبل', 'اتقبل', 'يتقبل', 'ينقبل', 'قبلتو', 'قبلوا', 'موافقه', 'الموافقه', 'approved', 'approval', 'accepted'],
  رفض: ['انرفض', 'اترفض', 'يترفض', 'ينرفض', 'رفضوا', 'rejected', 'rejection'],
  تقييم: ['اقيم', 'قيم', 'اقيمكم', 'نقيم', 'تقيم', 'rate', 'rating', 'feedback', 'review', 'نجمه', 'نجوم'],
  وثايق: ['اوراق', 'ورق', 'الورق', 'مستندات', 'مستند', 'اوراقي', 'وثيقه', 'اثباتات', 'documents', 'document', 'papers', 'docs'],
  شروط: ['شرط', 'متطلبات', 'requirements', 'conditions', 'eligibility'],
  تواصل: ['اتصال', 'اتصل', 'اكلمكم', 'نتواصل', 'contact', 'reach', 'call'],
  رقم: ['number', 'phone', 'جوال', 'هاتف', 'تلفون', 'تليفون', 'موبايل'],
  زياره: ['ازور', 'ازوركم', 'نزور', 'اجيكم', 'اجي', 'visit'],
  مقر: ['عنوان', 'عنوانكم', 'مكان', 'مكانكم', 'موقعكم', 'مقركم', 'located', 'location', 'address', 'office'],
  اجتماعي: ['سوشل', 'سوشيال', 'تويتر', 'انستقرام', 'انستغرام', 'سناب', 'اكس', 'social', 'twitter', 'instagram'],
  رد: ['يردون', 'يرد', 'تردون', 'ردكم', 'الرد', 'reply', 'answer', 'response', 'يردوا', 'هيردوا', 'بيردوا'],
  مده: ['مدة', 'وقت', 'فتره', 'long', 'time', 'duration', 'ياخذ', 'تاخذ', 'ياخد', 'تاخد', 'يستغرق', 'بياخد', 'بياخذ'],
  انتظار: ['انتظر', 'ينتظر', 'استني', 'انطر', 'wait', 'waiting'],
  جمعيه: ['association', 'charity', 'organization', 'جمعيتكم', 'الجمعيه'],
  انتم: ['انتو', 'انتوا', 'انت', 'you'],
  خدمات: ['خدماتكم', 'services', 'service', 'تقدمون', 'تقدموا', 'offer', 'provide'],
  توقيع: ['اوقع', 'امضي', 'امضا', 'امضاء', 'توقع', 'sign', 'signature'],
  مسووليه: ['مسوول', 'المسوول', 'مسووليه', 'responsible', 'responsibility'],
  فاهم: ['فهمت', 'مافهمت', 'مافاهم', 'مافاهمه', 'فاهمه', 'افهم', 'مفهوم', 'مفهومه', 'واضح', 'واضحه', 'understand', 'clear', 'ملخبط', 'ملخبطه', 'لخبطه'],
  لايحه: ['اللايحه', 'لوايح', 'اللوايح', 'bylaws', 'regulations'],
  دليل: ['الدليل', 'ادله', 'guide', 'guides'],
  نعم: ['ايوه', 'اي', 'ايوا', 'yes'],
  وصل: ['وصلت', 'واصل', 'وصلو', 'وصلوا'],
  عرفني: ['تعرفوني', 'عرفوني', 'عرفونا', 'تعرفنا', 'عرفنا'],
  مالي: ['ماليه', 'مادي', 'ماديه', 'نقدي', 'فلوس', 'financial', 'money', 'cash'],
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
  'في', 'من', 'علي', 'عن', 'الي', 'اللي', 'الذي', 'التي', 'هل', 'انا', 'احنا', 'نحن', 'يا', 'و', 'او',
  'ثم', 'بس', 'لو', 'سمحت', 'سمحتوا', 'ممكن', 'الله', 'يعطيك', 'العافيه', 'عافيه', 'شكرا', 'مع', 'هذا', 'هذه', 'هاد',
  'هذي', 'ذا', 'عندي', 'عندكم', 'لي', 'لكم', 'كان', 'يكون', 'تكون', 'مره', 'مرة', 'اخوي', 'اخي', 'اختي', 'يعني',
  'please', 'pls', 'plz', 'the', 'a', 'an', 'to', 'is', 'are', 'i', 'my', 'me', 'you', 'your', 'of', 'for', 'in',
  'on', 'do', 'can', 'it', 'and', 'with', 'about', 'lo', 'الحين', 'الحين', 'خلني', 'خليني', 'ابغاكم', 'طال', 'عمرك', 'فضلك', 'فضلكم', 'لوسمحت',
  ].map(normalizeForMatching),
);
