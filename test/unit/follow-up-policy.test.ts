import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { FollowUpPolicy, type TurnChange } from '../../src/jobs/follow-up-policy.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const config = loadConfig({ LOG_LEVEL: 'silent' });
const policy = new FollowUpPolicy({
  intakeReminderAfterMs: DAY,
  intakeExpiresAfterMs: 7 * DAY,
  reviewNoticeAfterMs: config.REVIEW_NOTICE_AFTER,
  ratingAfterMs: config.RATING_AFTER,
  handoffSlaMs: config.HANDOFF_SLA,
  workingHours: config.WORKING_HOURS,
});

const startedAt = new Date('2026-03-01T09:00:00Z');
const row = (kind: 'intake_reminder' | 'intake_expiry' | 'handoff_sla', after: number) => ({
  kind,
  due_at: new Date(startedAt.getTime() + after),
});

/** The intake's reminder and expiry count from the last answer, which writes nothing of theirs. */
describe('FollowUpPolicy: the intake’s follow-up times', () => {
  it('keeps the row’s time when nothing was answered after it was set', () => {
    expect(policy.intakeDueAt(row('intake_reminder', DAY), null)).toEqual(
      new Date(startedAt.getTime() + DAY),
    );
    expect(policy.intakeDueAt(row('intake_reminder', DAY), startedAt)).toEqual(
      new Date(startedAt.getTime() + DAY),
    );
  });

  it('counts the reminder and the expiry from the last answer when it came later', () => {
    const answeredAt = new Date(startedAt.getTime() + 5 * HOUR);
    expect(policy.intakeDueAt(row('intake_reminder', DAY), answeredAt)).toEqual(
      new Date(answeredAt.getTime() + DAY),
    );
    expect(policy.intakeDueAt(row('intake_expiry', 7 * DAY), answeredAt)).toEqual(
      new Date(answeredAt.getTime() + 7 * DAY),
    );
  });

  it('never brings a row forward, and leaves other kinds at their row’s time', () => {
    // Put back further than the last answer explains (a later configuration, say): stays.
    expect(policy.intakeDueAt(row('intake_reminder', 3 * DAY), startedAt)).toEqual(
      new Date(startedAt.getTime() + 3 * DAY),
    );
    const answeredAt = new Date(startedAt.getTime() + 5 * HOUR);
    expect(policy.intakeDueAt(row('handoff_sla', HOUR), answeredAt)).toEqual(
      new Date(startedAt.getTime() + HOUR),
    );
  });

  const change = (before: TurnChange['before'], after: TurnChange['after']): TurnChange => ({
    contactId: 'contact',
    conversationId: 'conversation',
    before,
    after,
    at: startedAt,
  });

  it('an answer inside the intake writes no follow-up; starting or leaving the intake restarts both', () => {
    const inIntake = { flowId: 'intake', mode: 'bot' as const, questionAhead: true };
    expect(policy.inlineWrites(change(inIntake, inIntake))).toEqual({});
    const started = policy.inlineWrites(change({ flowId: 'main_menu', mode: 'bot' }, inIntake));
    expect(started?.restart?.fresh.map((followUp) => [followUp.kind, followUp.dueAt])).toEqual([
      ['intake_reminder', new Date(startedAt.getTime() + DAY)],
      ['intake_expiry', new Date(startedAt.getTime() + 7 * DAY)],
    ]);
    const left = policy.inlineWrites(change(inIntake, { flowId: 'main_menu', mode: 'bot' }));
    expect(left?.restart).toMatchObject({ kinds: ['intake_reminder', 'intake_expiry'], fresh: [] });
  });
});
