import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type MessageFormatElement, parse, TYPE } from '@formatjs/icu-messageformat-parser';
import { IntlMessageFormat } from 'intl-messageformat';
import { z } from 'zod';

export type Locale = 'ar' | 'en';
export const LOCALES: readonly Locale[] = ['ar', 'en'];

/** Message parameters: ICU arguments are filled from conversation variables and action results. */
export type MessageParams = Record<string, string | number | boolean | null | undefined>;

/** A message's arguments looked up one by one (the engine: only those the message uses). */
export type MessageParamLookup = (name: string) => MessageParams[string];

const catalogFileSchema = z.record(
  z.string().regex(/^[a-z0-9_.]+$/, 'keys are lower-case dotted names'),
  z.string(),
);

/**
 * Intl locales used for formatting. Saudi Arabic prints numbers in Arabic-Indic digits and
 * selects among Arabic's six plural forms (zero, one, two, few, many, other).
 */
const INTL_LOCALE: Record<Locale, string> = { ar: 'ar-SA', en: 'en' };

/** Collects every argument a message refers to, including inside plural/select branches. */
function collectArguments(elements: MessageFormatElement[], into: Set<string>): Set<string> {
  for (const element of elements) {
    if (element.type === TYPE.literal || element.type === TYPE.pound) continue;
    if ('value' in element && typeof element.value === 'string' && element.type !== TYPE.tag)
      into.add(element.value);
    if ('options' in element) {
      for (const option of Object.values(element.options)) collectArguments(option.value, into);
    }
    if (element.type === TYPE.tag) collectArguments(element.children, into);
  }
  return into;
}

/** The ICU message catalog of every locale, compiled lazily and cached. */
export class MessageCatalog {
  private readonly compiled = new Map<string, { format: IntlMessageFormat; args: Set<string> }>();

  constructor(readonly messages: Record<Locale, Record<string, string>>) {}

  /** Loads `ar.json` and `en.json` from a folder; a malformed file fails with its name and the problem. */
  static async load(dir: string): Promise<MessageCatalog> {
    const files = (await readdir(dir)).filter((name) => name.endsWith('.json'));
    const messages = { ar: {}, en: {} } as Record<Locale, Record<string, string>>;
    for (const locale of LOCALES) {
      const file = `${locale}.json`;
      if (!files.includes(file)) throw new Error(`${join(dir, file)}: missing locale file`);
      const raw = JSON.parse(await readFile(join(dir, file), 'utf8')) as unknown;
      const parsed = catalogFileSchema.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new Error(`${join(dir, file)}: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
      }
      messages[locale] = parsed.data;
    }
    return new MessageCatalog(messages);
  }

  has(locale: Locale, key: string): boolean {
    return Object.hasOwn(this.messages[locale], key);
  }

  /** Parses a message and returns its syntax error, if any (used by the flow linter). */
  syntaxError(locale: Locale, key: string): string | undefined {
    try {
      parse(this.messages[locale][key] ?? '');
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  }

  /**
   * Formats a message. Arguments the message uses but the caller lacks become empty strings,
   * so a flow that refers to a variable not yet collected degrades instead of crashing.
   * A key missing in the requested locale falls back to Arabic, the complete catalog.
   */
  format(locale: Locale, key: string, params: MessageParams | MessageParamLookup = {}): string {
    const effectiveLocale: Locale = this.has(locale, key) ? locale : 'ar';
    const cacheKey = `${effectiveLocale}\u0000${key}`;
    let entry = this.compiled.get(cacheKey);
    if (!entry) {
      const source = this.messages[effectiveLocale][key];
      if (source === undefined) throw new Error(`missing message "${key}"`);
      const format = new IntlMessageFormat(source, INTL_LOCALE[effectiveLocale]);
      entry = { format, args: collectArguments(format.getAst(), new Set()) };
      this.compiled.set(cacheKey, entry);
    }
    const values: Record<string, string | number | boolean> = {};
    for (const name of entry.args) {
      const value = typeof params === 'function' ? params(name) : params[name];
      values[name] = value === null || value === undefined ? '' : value;
    }
    return String(entry.format.format(values));
  }
}
