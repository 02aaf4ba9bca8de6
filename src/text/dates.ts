import type { Locale } from '../engine/i18n.js';

const TIME_ZONE = 'Asia/Riyadh';

/** Formatters are costly to build: one per locale and calendar, made once. */
const GREGORIAN: Record<Locale, Intl.DateTimeFormat> = {
  ar: new Intl.DateTimeFormat('ar-SA', { calendar: 'gregory', dateStyle: 'long', timeZone: TIME_ZONE }),
  en: new Intl.DateTimeFormat('en-GB', { calendar: 'gregory', dateStyle: 'long', timeZone: TIME_ZONE }),
};
const HIJRI: Record<Locale, Intl.DateTimeFormat> = {
  ar: new Intl.DateTimeFormat('ar-SA', {
    calendar: 'islamic-umalqura',
    dateStyle: 'long',
    timeZone: TIME_ZONE,
  }),
  en: new Intl.DateTimeFormat('en-GB', {
    calendar: 'islamic-umalqura',
    dateStyle: 'long',
    timeZone: TIME_ZONE,
  }),
};

/**
 * A date as Saudi beneficiaries read it: Gregorian and Hijri (Umm al-Qura), Riyadh time,
 * e.g. «٢٥ نوفمبر ٢٠٢٦م (٥ جمادى الآخرة ١٤٤٨هـ)».
 */
export function formatSaudiDate(date: Date, locale: Locale): string {
  const hijri = HIJRI[locale].format(date);
  if (locale === 'ar') return `${GREGORIAN.ar.format(date)}م (${hijri.replace(/\s*هـ$/, '')}هـ)`;
  return `${GREGORIAN.en.format(date)} (${hijri})`;
}

const WEEKDAY_AND_TIME: Record<Locale, Intl.DateTimeFormat> = {
  ar: new Intl.DateTimeFormat('ar-SA', { weekday: 'long', timeZone: TIME_ZONE }),
  en: new Intl.DateTimeFormat('en-GB', { weekday: 'long', timeZone: TIME_ZONE }),
};
const TIME: Record<Locale, Intl.DateTimeFormat> = {
  ar: new Intl.DateTimeFormat('ar-SA', { timeStyle: 'short', timeZone: TIME_ZONE }),
  en: new Intl.DateTimeFormat('en-GB', { timeStyle: 'short', timeZone: TIME_ZONE }),
};

/** A moment with its weekday and Riyadh time: «الأحد ٢٩ نوفمبر ٢٠٢٦م (…هـ) الساعة ٨:٠٠ ص». */
export function formatSaudiDateTime(date: Date, locale: Locale): string {
  const weekday = WEEKDAY_AND_TIME[locale].format(date);
  const time = TIME[locale].format(date);
  return locale === 'ar'
    ? `${weekday} ${formatSaudiDate(date, locale)} الساعة ${time}`
    : `${weekday} ${formatSaudiDate(date, locale)} at ${time}`;
}
