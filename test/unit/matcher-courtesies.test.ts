import { describe, expect, it } from 'vitest';
import { parseFlow } from '../../src/engine/flow-loader.js';
import { IntentMatcher, termsOf } from '../../src/engine/matcher.js';

const source = `
id: main_menu
start: welcome
greetings: [السلام عليكم, يا هلا, كيف حالكم, شو الاخبار]
courtesies:
  goodbye: [مع السلامة]
  thanks: [شكرا, جزاكم الله خير]
out_of_scope: [بنك*, عمرك, الطريق]
nodes:
  - { id: welcome, type: message, text: menu.welcome }
  - { id: thanks, type: message, text: menu.thanks }
  - { id: goodbye, type: message, text: menu.goodbye }
  - id: when
    type: message
    text: faq.when
    intents: { label: faq.when, examples: [متى يردون على الطلب, كم مدة دراسة الطلب] }
  - id: news
    type: message
    text: faq.news
    intents: { label: faq.news, examples: [ايه اخبار طلبي], keywords: [اخبار] }
  - id: how
    type: message
    text: faq.how
    intents: { label: faq.how, examples: [كيف اقدم عن طريق الموقع, ما شروط فتح الطلب] }
`;
const matcher = new IntentMatcher(new Map([['main_menu', parseFlow('main_menu.yaml', source)]]));
const nodeOf = (text: string) => {
  const result = matcher.match(text);
  if (result.kind === 'intent') return result.match.target.nodeId;
  if (result.kind === 'courtesy') return result.target.nodeId;
  return result.kind;
};

describe('greetings and courtesies', () => {
  it('alone get their node; several: the courtesy listed first wins over a greeting', () => {
    expect(nodeOf('شكرًا')).toBe('thanks');
    expect(nodeOf('جزاكم الله خير')).toBe('thanks');
    expect(nodeOf('السلام عليكم، شكرا')).toBe('thanks');
    expect(nodeOf('شكرا مع السلامة')).toBe('goodbye');
    expect(nodeOf('السلام عليكم كيف حالكم')).toBe('greeting');
  });

  it('ignore spaces inside the phrase and acknowledgements next to it', () => {
    expect(nodeOf('ياهلا')).toBe('greeting');
    expect(nodeOf('تمام شكرا')).toBe('thanks');
    expect(nodeOf('تمام')).toBe('unknown');
  });

  it('do not hide the question they come with, before or after it', () => {
    expect(nodeOf('شكرا، متى يردون على الطلب؟')).toBe('when');
    expect(nodeOf('متى يردون على الطلب؟ وشكرا')).toBe('when');
    expect(nodeOf('جزاكم الله خير كم مدة دراسة الطلب')).toBe('when');
  });

  it('thanks for something is still thanks; a greeting tied to what follows is part of the question', () => {
    expect(nodeOf('شكرا على التعاون')).toBe('thanks');
    expect(nodeOf('شو الاخبار')).toBe('greeting');
    expect(nodeOf('شو الاخبار عن طلبي')).toBe('news');
  });
});

describe('out-of-scope vocabulary', () => {
  it('a word ending in * stands for the words it begins; without, the word itself (clitics aside)', () => {
    expect(nodeOf('ما شروط فتح حساب بنكي')).toBe('unknown');
    expect(nodeOf('ما شروط فتح الطلب')).toBe('how');
    expect(nodeOf('كم عمرك')).toBe('unknown');
  });

  it('gives no "did you mean" for another service', () => {
    const result = matcher.match('متى يردون على طلب البنك');
    expect(result).toEqual({ kind: 'unknown', suggestions: [], greeted: false });
  });

  it('does not count set phrases whose words alone would veto: «طال عمرك», «عن طريق»', () => {
    expect(nodeOf('طال عمرك متى يردون على الطلب')).toBe('when');
    expect(nodeOf('كيف اقدم عن طريق الموقع')).toBe('how');
    expect(nodeOf('حالة الطريق')).toBe('unknown');
  });
});

describe('topic words', () => {
  it('a message sharing only a question word with an example means no topic', () => {
    expect(nodeOf('كم')).toBe('unknown');
    expect(nodeOf('متى')).toBe('unknown');
  });

  it('reads a verb without its Egyptian/Levantine future marker', () => {
    expect(termsOf('امتى هتردوا')).toEqual(termsOf('متى تردون'));
    expect(termsOf('حيردوا')).toEqual(termsOf('يردون'));
  });

  it('keeps the device apart from its number, and «وينكم» asks where the association is', () => {
    expect(termsOf('جوال')).not.toEqual(termsOf('رقم'));
    expect(termsOf('وينكم')).toEqual(termsOf('مقركم'));
  });
});
