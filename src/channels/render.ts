import type { ChannelCapabilities } from './types.js';

/** How one reply goes out on a channel: one or more texts, and buttons on the last one. */
export interface RenderedMessage {
  texts: string[];
  buttons: string[];
}

const ARABIC_DIGITS = ['٠', '١', '٢', '٣', '٤', '٥', '٦', '٧', '٨', '٩'];

function arabicNumber(n: number): string {
  return String(n).replace(/\d/g, (d) => ARABIC_DIGITS[Number(d)] as string);
}

/**
 * Splits a text into parts of at most `limit` characters, on line boundaries where possible,
 * then on spaces, and only as a last resort inside a word.
 */
export function splitText(text: string, limit: number): string[] {
  if (text.length <= limit) return [text];
  const parts: string[] = [];
  let rest = text;
  while (rest.length > limit) {
    const window = rest.slice(0, limit);
    let cut = window.lastIndexOf('\n');
    if (cut < limit / 2) cut = window.lastIndexOf(' ');
    if (cut < limit / 2) cut = limit;
    parts.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).replace(/^[\n ]/, '');
  }
  if (rest.length > 0) parts.push(rest);
  return parts;
}

/**
 * Renders a reply for a channel: choices as buttons where the channel has them (and not too
 * many), else as a numbered list the engine understands («١» or «1» or the words).
 */
export function renderReply(
  text: string,
  choices: readonly string[],
  capabilities: ChannelCapabilities,
): RenderedMessage {
  const asButtons = capabilities.buttons && choices.length > 0 && choices.length <= capabilities.maxButtons;
  const list =
    !asButtons && choices.length > 0
      ? `\n\n${choices.map((c, i) => `${arabicNumber(i + 1)}. ${c}`).join('\n')}`
      : '';
  return {
    texts: splitText(`${text}${list}`, capabilities.maxTextLength),
    buttons: asButtons ? [...choices] : [],
  };
}
