import { describe, expect, it } from 'vitest';
import { matchOption, type SelectableOption } from '../../src/engine/choice-matching.js';

const MENU: SelectableOption[] = [
  { labels: ['تقديم طلب مساعدة', 'Apply for assistance'], synonyms: ['اقدم', 'تسجيل'] },
  { labels: ['الاستعلام عن حالة الطلب', 'Check request status'], synonyms: ['وين طلبي'] },
  { labels: ['التحدث مع موظف', 'Talk to an agent'], synonyms: ['موظف'] },
];

describe('matchOption by number', () => {
  it.each([
    ['1', 0],
    ['١', 0],
    ['۱', 0],
    ['2.', 1],
    ['٢.', 1],
    ['  ٣  ', 2],
    ['رقم 2', 1],
    ['رقم ٢', 1],
    ['خيار 3', 2],
    ['option 1', 0],
    ['number 2', 1],
  ])('%j → option %i', (reply, index) => {
    expect(matchOption(reply, MENU)).toBe(index);
  });

  it.each(['0', '4', '12', '١٠', 'رقم 9'])('%j is out of range → undefined', (reply) => {
    expect(matchOption(reply, MENU)).toBeUndefined();
  });

  it('reads two-digit numbers when there are that many options', () => {
    const many: SelectableOption[] = Array.from({ length: 12 }, (_, i) => ({
      labels: [`خيار ${i + 1}`],
      synonyms: [],
    }));
    expect(matchOption('12', many)).toBe(11);
    expect(matchOption('رقم ١٠', many)).toBe(9);
    expect(matchOption('13', many)).toBeUndefined();
  });

  it('never matches when there are no options', () => {
    expect(matchOption('1', [])).toBeUndefined();
  });
});

describe('matchOption by text', () => {
  it.each([
    ['تقديم طلب مساعدة', 0],
    ['تَقديم طلبِ مساعدة', 0],
    ['تقديم طلب مساعده', 0],
    ['apply for assistance', 0],
    ['APPLY FOR ASSISTANCE', 0],
    ['Check request status', 1],
    ['التحدث مع موظف', 2],
  ])('exact label %j → option %i', (reply, index) => {
    expect(matchOption(reply, MENU)).toBe(index);
  });

  it.each([
    ['اقدم', 0],
    ['تسجيل', 0],
    ['وين طلبي', 1],
    ['موظف', 2],
  ])('synonym %j → option %i', (reply, index) => {
    expect(matchOption(reply, MENU)).toBe(index);
  });

  it.each([
    ['أريد تقديم طلب مساعدة', 0],
    ['الاستعلام عن الطلب', 1],
    ['check status', 1],
    ['talk to agent', 2],
  ])('partial words %j → option %i', (reply, index) => {
    expect(matchOption(reply, MENU)).toBe(index);
  });

  it.each(['مرحبا', 'abc', '', '  ', '؟؟'])('%j matches nothing', (reply) => {
    expect(matchOption(reply, MENU)).toBeUndefined();
  });
});

describe('matchOption ambiguity', () => {
  const SIMILAR: SelectableOption[] = [
    { labels: ['دعم مالي عاجل'], synonyms: [] },
    { labels: ['دعم مالي شهري'], synonyms: [] },
  ];

  it('returns undefined when two options fit equally well', () => {
    expect(matchOption('دعم مالي', SIMILAR)).toBeUndefined();
  });

  it('still picks the option whose distinguishing word is given', () => {
    expect(matchOption('دعم مالي عاجل', SIMILAR)).toBe(0);
    expect(matchOption('دعم مالي شهري', SIMILAR)).toBe(1);
  });

  it('a word shared by every option is not enough', () => {
    const options: SelectableOption[] = [
      { labels: ['طلب جديد'], synonyms: [] },
      { labels: ['طلب قديم'], synonyms: [] },
    ];
    expect(matchOption('طلب', options)).toBeUndefined();
  });
});
