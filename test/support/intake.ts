import {
  type NewSupportRequest,
  type PlannedRequest,
  planSupportRequest,
} from '../../src/storage/repositories/requests.js';

/** What an applicant answers, in the intake's order (the eight questions after «٢» at the menu). */
export interface IntakeAnswers {
  name: string;
  nationalId: string;
  mobile: string;
  city: string;
  /** The support type's number in the list, e.g. «١». */
  supportType: string;
  familySize: string;
  income: string;
  description: string;
}

/**
 * A whole support request from a greeting to «نعم» at the attestation, through `say` (the inbox,
 * the web chat API…, answering with the bot's reply texts); returns the request's reference.
 */
export async function submitIntake(
  say: (text: string) => Promise<readonly { text: string }[]>,
  answers: IntakeAnswers,
): Promise<string> {
  const { name, nationalId, mobile, city, supportType, familySize, income, description } = answers;
  for (const text of [
    'السلام عليكم',
    '٢',
    name,
    nationalId,
    mobile,
    city,
    supportType,
    familySize,
    income,
    description,
  ])
    await say(text);
  const replies = await say('نعم');
  const reference = /رقم الطلب: (\d{8})/.exec(replies.map((reply) => reply.text).join('\n'))?.[1];
  if (!reference) throw new Error('the intake did not end with a request reference');
  return reference;
}

/** A support request of `contactId`'s, as a test writes it straight to the database. */
export function sampleRequest(contactId: string): NewSupportRequest {
  return {
    contactId,
    conversationId: null,
    fullName: 'اسم تجريبي كامل',
    nationalId: '1000000008',
    mobileE164: '+966551234567',
    city: 'الرياض',
    supportType: 'food',
    familySize: 4,
    monthlyIncome: 1500,
    description: 'وصف الاحتياج للاختبار',
  };
}

/**
 * A support request planned as the intake's confirmation plans it (its random reference and its
 * review notice), for tests that hand it to a statement directly.
 */
export function plannedSampleRequest(contactId: string, conversationId: string): PlannedRequest {
  return planSupportRequest(
    {
      contactId,
      conversationId,
      fullName: 'سارة محمد',
      nationalId: '1000000008',
      mobileE164: '+966551234567',
      city: 'جدة',
      supportType: 'housing',
      familySize: 4,
      monthlyIncome: 2500,
      description: 'إيجار متأخر',
    },
    [
      {
        kind: 'review_notice',
        basis: { status: 'submitted' },
        dueAt: new Date(Date.now() + 14 * 86_400_000),
      },
    ],
  );
}
