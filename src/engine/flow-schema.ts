import { z } from 'zod';

/**
 * The schema of a flow file (flows/*.yaml). Flows are content written by people who are not
 * programmers, so everything is checked here and the engine never trusts a file it has not parsed.
 */

const identifier = z.string().regex(/^[a-z][a-z0-9_]*$/, 'expected a lower-case id such as "support_type"');
const messageKey = z
  .string()
  .regex(/^[a-z0-9_]+(\.[a-z0-9_]+)+$/, 'expected a locale key such as "intake.name.ask"');
const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/** A way out of a node: to another node of the same flow, or to another flow (optionally a node in it). */
const target = {
  next: identifier.optional(),
  flow: identifier.optional(),
  node: identifier.optional(),
};

/** Phrases (any language, any dialect) that a free-text message is matched against. */
export const intentSchema = z.strictObject({
  /** How the topic is offered when the bot is unsure ("did you mean …?"). */
  label: messageKey,
  examples: z.array(z.string().min(1)).min(1),
  keywords: z.array(z.string().min(1)).default([]),
});

const conditionSchema = z.strictObject({
  var: z.string().min(1),
  equals: scalar.optional(),
  not_equals: scalar.optional(),
  in: z.array(scalar).optional(),
  lt: z.number().optional(),
  lte: z.number().optional(),
  gt: z.number().optional(),
  gte: z.number().optional(),
  exists: z.boolean().optional(),
});

export const choiceSchema = z
  .strictObject({
    id: identifier,
    label: messageKey,
    /** Other words that select this choice (the label and its number always do). */
    synonyms: z.array(z.string().min(1)).default([]),
    /** Value saved by an `ask` node with a `choice` validator. */
    value: scalar.optional(),
    /** Save the value of this variable instead (e.g. `channel_phone`, the number WhatsApp vouches for). */
    value_from: identifier.optional(),
    /** Offer this choice only when the condition holds. */
    if: conditionSchema.optional(),
    /** After the next answer, come back to this node (used by "edit a field" menus). */
    return_to: identifier.optional(),
    ...target,
  })
  .refine((choice) => !(choice.next && choice.flow), {
    message: 'a choice has either "next" or "flow", not both',
  });

export const validatorSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('text'),
    min: z.number().int().min(0).default(1),
    max: z.number().int().min(1).default(500),
    /** Require at least this many letters (a name cannot be only digits or emoji). */
    letters: z.number().int().min(0).default(0),
    /** Letters, spaces and - ' . , only: no digits, emoji or symbols (a city). */
    only_letters: z.boolean().default(false),
  }),
  /** A person's full name: two words or more, letters (Arabic or Latin), spaces, - and ' only. */
  z.strictObject({
    kind: z.literal('full_name'),
    max: z.number().int().min(1).default(100),
  }),
  z.strictObject({
    kind: z.literal('number'),
    min: z.number().default(0),
    max: z.number().default(Number.MAX_SAFE_INTEGER),
    integer: z.boolean().default(true),
    /** What the number counts: an answer naming another unit («ستة أفراد» for an income) is asked again. */
    unit: z.enum(['sar', 'people']).optional(),
  }),
  z.strictObject({ kind: z.literal('saudi_mobile') }),
  z.strictObject({ kind: z.literal('national_id') }),
  z.strictObject({ kind: z.literal('choice') }),
  z.strictObject({ kind: z.literal('yes_no') }),
  z.strictObject({ kind: z.literal('rating') }),
  z.strictObject({ kind: z.literal('reference') }),
]);

const base = {
  id: identifier,
  /** Node-level intents: free text matching them jumps straight to this node. */
  intents: intentSchema.optional(),
};

/** Texts: one key or several keys sent as separate messages. */
const texts = z.union([messageKey, z.array(messageKey).min(1)]);

/**
 * A node whose text ends with a yes/no question («هل تريدون …؟») names the choice a yes selects
 * and the one a no selects, so «نعم», «ايوه», «إيه والله», «لا شكرًا» … work as well as the buttons.
 */
const yesNo = {
  yes: identifier.optional(),
  no: identifier.optional(),
};

/** `yes`/`no` must name one of the node's own choices. */
function checkYesNo(
  node: { yes?: string | undefined; no?: string | undefined; choices?: Array<{ id: string }> | undefined },
  context: z.RefinementCtx,
): void {
  for (const answer of ['yes', 'no'] as const) {
    const id = node[answer];
    if (id === undefined) continue;
    if (!node.choices?.some((choice) => choice.id === id)) {
      context.addIssue({
        code: 'custom',
        path: [answer],
        message: `"${answer}" names "${id}", which is not one of this node's choices`,
      });
    }
  }
}

export const nodeSchema = z.discriminatedUnion('type', [
  z
    .strictObject({
      ...base,
      type: z.literal('message'),
      text: texts,
      choices: z.array(choiceSchema).optional(),
      /** Offer the topics the matcher found closest as choices (the fallback node). */
      suggest: z.boolean().default(false),
      ...yesNo,
      ...target,
    })
    .superRefine(checkYesNo),
  z
    .strictObject({
      ...base,
      type: z.literal('ask'),
      text: texts,
      validate: validatorSchema,
      /** Variable the valid answer is stored in. */
      save: identifier,
      choices: z.array(choiceSchema).optional(),
      /** May be skipped with words such as «تخطي» (the variable is then null). */
      optional: z.boolean().default(false),
      /** Only a message that is nothing but a yes or a no selects these (a sentence is an answer). */
      ...yesNo,
      /**
       * After an invalid answer, say the reason and then the question again (true), or the reason
       * alone with the node's choices (false: when the question's text would mislead, e.g. «not found»).
       */
      repeat_text: z.boolean().default(true),
      /**
       * An answer that is clearly not of the asked kind (a request number without a single digit,
       * «شكرًا», «أبي أقدم طلب») is understood as free text, as at a menu, instead of refused.
       */
      free_text: z.boolean().default(false),
      next: identifier,
    })
    .superRefine(checkYesNo),
  z.strictObject({
    ...base,
    type: z.literal('branch'),
    when: z.array(z.strictObject({ if: conditionSchema, next: identifier })).min(1),
    else: identifier,
  }),
  z.strictObject({
    ...base,
    type: z.literal('set'),
    vars: z.record(identifier, scalar),
    next: identifier,
  }),
  z.strictObject({
    ...base,
    type: z.literal('action'),
    action: z.string().min(1),
    /** Next node for each result the action can report ("created", "none", "found", …). */
    results: z.record(z.string().min(1), identifier),
  }),
  z.strictObject({ ...base, type: z.literal('goto'), flow: identifier, node: identifier.optional() }),
  z.strictObject({ ...base, type: z.literal('end') }),
]);

export const flowSchema = z.strictObject({
  id: identifier,
  /** Optional human label for the flow, shown in tooling. */
  name: z.string().optional(),
  start: identifier,
  /** Free text matching these starts the flow from its `start` node. */
  intents: intentSchema.optional(),
  /** Bare greetings (main_menu only): a greeting alone shows the menu. */
  greetings: z.array(z.string().min(1)).optional(),
  /**
   * Courtesies by the node of this flow that answers them («شكرًا» → `thanks`, «مع السلامة» →
   * `goodbye`). A message made only of courtesies and greetings gets that node (the first one
   * listed wins when several are used); a courtesy said with a question does not hide the question.
   */
  courtesies: z.record(identifier, z.array(z.string().min(1)).min(1)).default({}),
  /**
   * Words that belong to other services (passports, banks, deliveries …). A message using one
   * is not matched to any topic even if it shares other words with one («كم مدة صلاحية الجواز»).
   * A word ending in `*` also stands for the words it begins («بنك*»: «بنكي», «البنكية»).
   */
  out_of_scope: z.array(z.string().min(1)).default([]),
  /**
   * A message node said when the beneficiary leaves this flow unfinished — by «القائمة», asking
   * for staff, another topic — after answering at least one question, so nothing is lost silently.
   */
  on_leave: identifier.optional(),
  /**
   * Values recognised inside free text at any menu, which start this flow at `node` with the
   * value saved: «وين وصل طلبي رقم 1303 8229» opens that request.
   */
  captures: z
    .array(z.strictObject({ kind: z.enum(['reference']), save: identifier, node: identifier }))
    .default([]),
  nodes: z.array(nodeSchema).min(1),
});

export type FlowDefinition = z.output<typeof flowSchema>;
export type FlowNode = z.output<typeof nodeSchema>;
export type Choice = z.output<typeof choiceSchema>;
export type Validator = z.output<typeof validatorSchema>;
export type Condition = z.output<typeof conditionSchema>;
export type IntentDefinition = z.output<typeof intentSchema>;
export type NodeOf<T extends FlowNode['type']> = Extract<FlowNode, { type: T }>;
