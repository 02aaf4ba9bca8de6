import type { InlineKeyboardMarkup, ReplyKeyboardMarkup } from 'telegraf/types';

/** Labels up to this many characters count as short: two of them share a row. */
const SHORT_LABEL = 14;

/**
 * The callback data of a choice button: its position and our stored message's id, so a press
 * names the exact button it came from (Telegram allows 64 bytes; this is at most 40).
 */
export function callbackData(outboundId: string, index: number): string {
  return `${index}:${outboundId}`.slice(0, 64);
}

/**
 * Choices as an inline keyboard: one button per row, or two per row when there are more than
 * three and every label is short (a long column of short words is harder to scan).
 */
export function inlineKeyboard(outboundId: string, labels: readonly string[]): InlineKeyboardMarkup {
  const buttons = labels.map((text, index) => ({ text, callback_data: callbackData(outboundId, index) }));
  const twoPerRow = labels.length > 3 && labels.every((label) => [...label].length <= SHORT_LABEL);
  const rows = [];
  for (let i = 0; i < buttons.length; i += twoPerRow ? 2 : 1)
    rows.push(buttons.slice(i, i + (twoPerRow ? 2 : 1)));
  return { inline_keyboard: rows };
}

/** One button under the text box that shares the person's own number (Telegram asks them first). */
export function shareContactKeyboard(label: string): ReplyKeyboardMarkup {
  return {
    keyboard: [[{ text: label, request_contact: true }]],
    one_time_keyboard: true,
    resize_keyboard: true,
    is_persistent: false,
  };
}

/**
 * The label of the pressed button, read from the keyboard of the message that carried it (which
 * Telegram includes in the callback query), or undefined when the keyboard is not there.
 */
export function labelFromMarkup(markup: unknown, data: string): string | undefined {
  if (!markup || typeof markup !== 'object' || !('inline_keyboard' in markup)) return undefined;
  const rows = (markup as { inline_keyboard: unknown }).inline_keyboard;
  if (!Array.isArray(rows)) return undefined;
  for (const row of rows) {
    if (!Array.isArray(row)) continue;
    for (const button of row as Array<{ text?: unknown; callback_data?: unknown }>) {
      if (button?.callback_data === data && typeof button.text === 'string') return button.text;
    }
  }
  return undefined;
}
