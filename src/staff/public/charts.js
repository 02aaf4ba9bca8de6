// Inline SVG charts built with DOM APIs (no library, nothing inline for the CSP to block).
// Each chart is an <figure> with role=img and a text summary, followed by the same numbers as a
// table for screen readers and for anyone who prefers numbers.

import { h, s } from './dom.js';
import { formatNumber } from './i18n.js';

const WIDTH = 560;
const HEIGHT = 240;
const PAD = { top: 16, right: 16, bottom: 44, left: 44 };

/** The top of a count axis: four equal whole-number steps (0–4, 0–8, 0–20, 0–40…). */
function niceCountMax(value) {
  const step = niceMax(Math.max(1, value) / 4);
  const whole = step < 1 ? 1 : step % 1 === 0 ? step : Math.ceil(step);
  return whole * 4;
}

function niceMax(value) {
  if (value <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * magnitude >= value) return step * magnitude;
  return 10 * magnitude;
}

function gridLines(max, plotHeight, plotWidth, format) {
  const lines = [];
  for (let i = 0; i <= 4; i++) {
    const value = (max * i) / 4;
    const y = PAD.top + plotHeight - (plotHeight * i) / 4;
    lines.push(
      s('line', { x1: PAD.left, x2: PAD.left + plotWidth, y1: y, y2: y, class: 'chart-grid' }),
      s('text', { x: PAD.left - 6, y: y + 4, 'text-anchor': 'end', class: 'chart-axis' }, format(value)),
    );
  }
  return lines;
}

function frame(title, svg, table) {
  return h(
    'figure',
    { class: 'chart' },
    h('figcaption', { class: 'chart-title' }, title),
    svg,
    h('details', { class: 'chart-data' }, h('summary', null, title), table),
  );
}

function dataTable(headers, rows) {
  return h(
    'table',
    { class: 'table table--compact' },
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        headers.map((text) => h('th', { scope: 'col' }, text)),
      ),
    ),
    h(
      'tbody',
      null,
      rows.map((cells) =>
        h(
          'tr',
          null,
          cells.map((text) => h('td', null, text)),
        ),
      ),
    ),
  );
}

/**
 * Vertical bars. items: [{ label, value, className? }]
 * @param {{ title: string, description: string, headers: [string, string], format?: (n:number)=>string }} opts
 */
export function barChart(items, opts) {
  const format = opts.format ?? ((n) => formatNumber(n));
  const plotWidth = WIDTH - PAD.left - PAD.right;
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  const max = niceCountMax(Math.max(0, ...items.map((item) => item.value)));
  const slot = plotWidth / Math.max(items.length, 1);
  const barWidth = Math.min(56, slot * 0.6);
  const svg = s(
    'svg',
    {
      viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
      role: 'img',
      'aria-label': opts.description,
      class: 'chart-svg',
      preserveAspectRatio: 'xMidYMid meet',
      direction: 'ltr',
    },
    s('title', null, opts.description),
    gridLines(max, plotHeight, plotWidth, (v) => formatNumber(Math.round(v))),
    items.map((item, i) => {
      const barHeight = max > 0 ? (plotHeight * item.value) / max : 0;
      const x = PAD.left + slot * i + (slot - barWidth) / 2;
      const y = PAD.top + plotHeight - barHeight;
      return s(
        'g',
        null,
        s(
          'rect',
          {
            x,
            y,
            width: barWidth,
            height: Math.max(barHeight, 0),
            rx: 3,
            class: `chart-bar ${item.className ?? ''}`,
          },
          s('title', null, `${item.label}: ${format(item.value)}`),
        ),
        s(
          'text',
          { x: x + barWidth / 2, y: y - 4, 'text-anchor': 'middle', class: 'chart-value' },
          format(item.value),
        ),
        s(
          'text',
          { x: x + barWidth / 2, y: PAD.top + plotHeight + 16, 'text-anchor': 'middle', class: 'chart-axis' },
          labelLines(item.label, slot).map((line, n) =>
            s('tspan', { x: x + barWidth / 2, dy: n === 0 ? 0 : 13 }, line),
          ),
        ),
      );
    }),
  );
  return frame(
    opts.title,
    svg,
    dataTable(
      opts.headers,
      items.map((item) => [item.label, format(item.value)]),
    ),
  );
}

/** An axis label in at most two lines that fit `width`, words kept whole where possible. */
function labelLines(text, width) {
  const maxChars = Math.max(4, Math.floor(width / 6));
  const lines = [''];
  for (const word of String(text).split(/\s+/)) {
    const current = lines[lines.length - 1];
    if (current === '' || `${current} ${word}`.length <= maxChars)
      lines[lines.length - 1] = current ? `${current} ${word}` : word;
    else lines.push(word);
  }
  const shown = lines
    .slice(0, 2)
    .map((line) => (line.length > maxChars ? `${line.slice(0, maxChars - 1)}…` : line));
  if (lines.length > 2 && !shown[1].endsWith('…')) shown[1] = `${shown[1].slice(0, maxChars - 1)}…`;
  return shown;
}

/**
 * A line over time. points: [{ label, value (0..max) }], oldest first.
 * @param {{ title: string, description: string, headers: [string, string], max?: number, format?: (n:number)=>string }} opts
 */
export function lineChart(points, opts) {
  const format = opts.format ?? ((n) => formatNumber(n));
  const plotWidth = WIDTH - PAD.left - PAD.right;
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  const max = opts.max ?? niceMax(Math.max(0, ...points.map((p) => p.value ?? 0)));
  // Points are inset so the first and last axis labels are not cut at the edges.
  const inset = 24;
  const stepX = points.length > 1 ? (plotWidth - inset * 2) / (points.length - 1) : 0;
  const xy = points.map((p, i) => ({
    ...p,
    x: PAD.left + (points.length > 1 ? inset + stepX * i : plotWidth / 2),
    y: PAD.top + plotHeight - (plotHeight * Math.min(p.value ?? 0, max)) / max,
  }));
  const labelEvery = Math.max(1, Math.ceil(points.length / 8));
  const svg = s(
    'svg',
    {
      viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
      role: 'img',
      'aria-label': opts.description,
      class: 'chart-svg',
      preserveAspectRatio: 'xMidYMid meet',
      direction: 'ltr',
    },
    s('title', null, opts.description),
    gridLines(max, plotHeight, plotWidth, format),
    xy.length > 1
      ? s('polyline', { points: xy.map((p) => `${p.x},${p.y}`).join(' '), class: 'chart-line', fill: 'none' })
      : null,
    xy.map((p, i) =>
      s(
        'g',
        null,
        s(
          'circle',
          { cx: p.x, cy: p.y, r: 4, class: 'chart-point' },
          s('title', null, `${p.label}: ${format(p.value)}`),
        ),
        i % labelEvery === 0 || i === xy.length - 1
          ? s(
              'text',
              { x: p.x, y: PAD.top + plotHeight + 16, 'text-anchor': 'middle', class: 'chart-axis' },
              p.label,
            )
          : null,
      ),
    ),
  );
  return frame(
    opts.title,
    svg,
    dataTable(
      opts.headers,
      points.map((p) => [p.label, format(p.value)]),
    ),
  );
}

/** Horizontal share bars for small breakdowns (by channel, by staff): a row per item. */
export function shareBars(items, opts) {
  const max = Math.max(1, ...items.map((item) => item.value));
  return h(
    'ul',
    { class: 'share-bars', 'aria-label': opts.title },
    items.map((item) => {
      const meter = h('meter', { min: 0, max, value: item.value, class: 'share-meter' });
      meter.textContent = item.text;
      return h(
        'li',
        { class: 'share-row' },
        h('span', { class: 'share-label' }, item.label),
        meter,
        h('span', { class: 'share-value' }, item.text),
      );
    }),
  );
}
