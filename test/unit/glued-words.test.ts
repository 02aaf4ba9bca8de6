import { describe, expect, it } from 'vitest';
import { termsOf } from '../../src/engine/matcher.js';

describe('question words typed glued to the next word', () => {
  it('are split off, so the message means what it would with a space', () => {
    expect(termsOf('كيفاقدم على الدعم')).toEqual(termsOf('كيف اقدم على الدعم'));
    expect(termsOf('وشالخدمات اللي عندكم')).toEqual(termsOf('وش الخدمات اللي عندكم'));
    expect(termsOf('شوالشروط')).toEqual(termsOf('شو الشروط'));
  });

  it('leaves whole words alone: known dialect words and words that only start like a question word', () => {
    expect(termsOf('وشلون')).toEqual(termsOf('كيف'));
    expect(termsOf('كيفية التقديم')).toEqual(termsOf('كيف التقديم'));
    // «شوفوا» (look) starts with «شو» but not before «ال»: not split.
    expect(termsOf('شوفوا')).toHaveLength(1);
    expect(termsOf('ماليه')).toEqual(termsOf('مالي'));
  });

  it('folds the Egyptian «أدّي» (give) onto «أعطي»', () => {
    expect(termsOf('عاوز أدي تقييم')).toEqual(termsOf('ابي اعطي تقييم'));
  });
});
