import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { parseDuration } from '../../src/duration.js';

/**
 * A conversation transcript (test/conversations/*.yaml): the beneficiary's turns and what the
 * bot must answer, checked against the real engine and database.
 *
 *   name: intake with Arabic-Indic digits
 *   steps:
 *     - user: "٢"                 # what the beneficiary types
 *       as: second               # optional: another beneficiary in the same transcript
 *       after: 11m               # optional: advance the clock before this turn
 *       expect:
 *         flow: intake           # flow and node of the LAST reply
 *         node: name
 *         text: ["الاسم"]         # fragments that must appear somewhere in the replies
 *         not_text: ["خطأ"]       # fragments that must not
 *         choices: ["نعم"]        # fragments that must appear among the last reply's choices
 *         silent: true           # no reply at all
 *         capture: { reference: "رقم الطلب: (\\d{8})" }   # saves a value for {{reference}}
 */
const expectation = z.strictObject({
  flow: z.string().optional(),
  node: z.string().optional(),
  text: z.array(z.string()).default([]),
  not_text: z.array(z.string()).default([]),
  choices: z.array(z.string()).default([]),
  silent: z.boolean().default(false),
  capture: z.record(z.string(), z.string()).default({}),
});

const step = z.strictObject({
  user: z.string(),
  as: z.string().default('main'),
  channel: z.enum(['web', 'telegram', 'whatsapp']).default('web'),
  after: z
    .string()
    .refine((value) => parseDuration(value) !== undefined, 'expected a duration such as "11m"')
    .optional(),
  expect: expectation,
});

export const transcriptSchema = z.strictObject({
  name: z.string(),
  /** Environment overrides for this transcript's bot (e.g. a short LOOKUP_BLOCK). */
  env: z.record(z.string(), z.string()).default({}),
  steps: z.array(step).min(1),
});

export type Transcript = z.output<typeof transcriptSchema> & { file: string };

export async function loadTranscripts(dir: string): Promise<Transcript[]> {
  const files = (await readdir(dir)).filter((name) => name.endsWith('.yaml')).sort();
  const transcripts: Transcript[] = [];
  for (const file of files) {
    const raw = parse(await readFile(join(dir, file), 'utf8')) as unknown;
    const result = transcriptSchema.safeParse(raw);
    if (!result.success) {
      const issue = result.error.issues[0];
      throw new Error(`${file}: ${issue?.path.join('.')}: ${issue?.message}`);
    }
    transcripts.push({ ...result.data, file });
  }
  return transcripts;
}
