// Satisfaction and requests: CSAT, average, distribution, weekly trend, by channel and by staff,
// low scores with comments (supervisors), requests by status, median first response, CSV export.

import { api, withQuery } from '../api.js';
import { barChart, lineChart, shareBars } from '../charts.js';
import { clear, field, h } from '../dom.js';
import { formatDateTime, formatDuration, formatNumber, formatPercent, label, STATUSES, t } from '../i18n.js';
import { errorBox, loading, pageHeading, withNumbers } from './common.js';

let savedRange = { from: '', to: '' };

/** CSAT arrives as a share (0–1). */
const share = (value) => (value === null || value === undefined ? null : Number(value));

export function render(container, ctx) {
  let disposed = false;
  const from = h('input', {
    type: 'date',
    name: 'from',
    value: savedRange.from,
    'data-testid': 'report-from',
  });
  const to = h('input', { type: 'date', name: 'to', value: savedRange.to, 'data-testid': 'report-to' });
  const form = h(
    'form',
    { class: 'card filters', 'aria-label': t('rep.period') },
    h('div', { class: 'filters-grid' }, field(t('req.from'), from), field(t('req.to'), to)),
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit', class: 'btn btn--primary' }, t('rep.apply')),
    ),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    load();
  });
  const exports = h('div', { class: 'exports' });
  const body = h('div', { class: 'report-body' }, loading());
  container.append(pageHeading(t('rep.title')), form, exports, body);

  function drawExports() {
    clear(exports);
    if (!ctx.hasRole('supervisor')) return;
    const range = { from: savedRange.from, to: savedRange.to };
    exports.append(
      h('h2', { class: 'visually-hidden' }, t('rep.export')),
      h(
        'a',
        {
          class: 'btn btn--ghost',
          href: withQuery('/api/staff/reports/ratings.csv', range),
          download: '',
          'data-testid': 'export-ratings',
        },
        t('rep.exportRatings'),
      ),
      h(
        'a',
        {
          class: 'btn btn--ghost',
          href: withQuery('/api/staff/reports/requests.csv', range),
          download: '',
          'data-testid': 'export-requests',
        },
        t('rep.exportRequests'),
      ),
    );
  }

  async function load() {
    savedRange = { from: from.value, to: to.value };
    drawExports();
    clear(body).append(loading());
    try {
      const report = await api.satisfaction(savedRange.from, savedRange.to);
      if (disposed) return;
      draw(report);
    } catch (error) {
      if (disposed) return;
      clear(body).append(errorBox(ctx, error));
    }
  }

  function stat(titleText, value, testId) {
    return h(
      'div',
      { class: 'stat', 'data-testid': testId },
      h('span', { class: 'stat-label' }, titleText),
      h('span', { class: 'stat-value' }, value),
    );
  }

  function draw(r) {
    const distribution = r.distribution ?? {};
    const byWeek = Array.isArray(r.byWeek) ? r.byWeek : [];
    const byChannel = Array.isArray(r.byChannel) ? r.byChannel : [];
    const byStaff = Array.isArray(r.byStaff) ? r.byStaff : [];
    const lowScores = Array.isArray(r.lowScores) ? r.lowScores : [];
    const byStatus = r.requestsByStatus ?? {};

    const sections = [
      h(
        'section',
        { class: 'stats', 'aria-label': t('rep.satisfaction') },
        stat(t('rep.count'), formatNumber(r.count ?? 0), 'stat-count'),
        stat(t('rep.csat'), formatPercent(share(r.csat)), 'stat-csat'),
        stat(
          t('rep.average'),
          r.average === null || r.average === undefined
            ? t('app.dash')
            : formatNumber(r.average, { maximumFractionDigits: 2 }),
          'stat-average',
        ),
        stat(
          t('rep.medianFirstResponse'),
          formatDuration(r.medianFirstResponseSeconds),
          'stat-first-response',
        ),
      ),
      h(
        'div',
        { class: 'chart-grid' },
        h(
          'section',
          { class: 'card', 'data-testid': 'chart-distribution' },
          barChart(
            [1, 2, 3, 4, 5].map((score) => ({
              label: formatNumber(score),
              value: Number(distribution[String(score)] ?? 0),
              className: score <= 2 ? 'chart-bar--low' : score >= 4 ? 'chart-bar--high' : '',
            })),
            {
              title: t('rep.distribution'),
              description: t('rep.chartDistribution'),
              headers: [t('rep.score'), t('rep.count')],
            },
          ),
        ),
        h(
          'section',
          { class: 'card', 'data-testid': 'chart-trend' },
          byWeek.length === 0
            ? [h('h2', null, t('rep.trend')), h('p', { class: 'muted' }, t('rep.noData'))]
            : lineChart(
                byWeek.map((w) => ({ label: weekLabel(w.week), value: share(w.csat) ?? 0 })),
                {
                  title: t('rep.trend'),
                  description: t('rep.chartTrend'),
                  headers: [t('rep.week'), t('rep.csat')],
                  max: 1,
                  format: (v) => formatPercent(v),
                },
              ),
        ),
        h(
          'section',
          { class: 'card', 'data-testid': 'chart-status' },
          barChart(
            STATUSES.map((status) => ({
              label: label('status', status),
              value: Number(byStatus[status] ?? 0),
            })),
            {
              title: t('rep.requestsByStatus'),
              description: t('rep.chartStatus'),
              headers: [t('req.status'), t('rep.count')],
            },
          ),
        ),
        h(
          'section',
          { class: 'card', 'data-testid': 'by-channel', 'aria-labelledby': 'rep-by-channel' },
          h('h2', { id: 'rep-by-channel' }, t('rep.byChannel')),
          byChannel.length === 0
            ? h('p', { class: 'muted' }, t('rep.noData'))
            : shareBars(
                byChannel.map((c) => ({
                  label: label('channel', c.channel),
                  value: c.count,
                  text: t('rep.channelLine', {
                    count: formatNumber(c.count),
                    csat: formatPercent(share(c.csat)),
                    average: formatNumber(c.average, { maximumFractionDigits: 2 }),
                  }),
                })),
                { title: t('rep.byChannel') },
              ),
        ),
      ),
      h(
        'section',
        { class: 'card', 'data-testid': 'by-staff', 'aria-labelledby': 'rep-by-staff' },
        h('h2', { id: 'rep-by-staff' }, t('rep.byStaff')),
        byStaff.length === 0 ? h('p', { class: 'muted' }, t('rep.noData')) : staffTable(byStaff),
      ),
    ];
    if (ctx.hasRole('supervisor')) {
      sections.push(
        h(
          'section',
          { class: 'card', 'data-testid': 'low-scores', 'aria-labelledby': 'rep-low' },
          h('h2', { id: 'rep-low' }, t('rep.lowScores')),
          lowScores.length === 0 ? h('p', { class: 'muted' }, t('rep.noData')) : lowScoreList(lowScores),
        ),
      );
    }
    clear(body).append(...sections);
  }

  function staffTable(rows) {
    const headers = [t('rep.staff'), t('rep.count'), t('rep.csat'), t('rep.average')];
    return h(
      'table',
      { class: 'table table--cards' },
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
        rows.map((row) =>
          h(
            'tr',
            null,
            [
              h('bdi', null, row.staff?.name ?? t('app.dash')),
              formatNumber(row.count),
              formatPercent(share(row.csat)),
              formatNumber(row.average, { maximumFractionDigits: 2 }),
            ].map((cell, i) =>
              h(
                i === 0 ? 'th' : 'td',
                { 'data-label': headers[i], scope: i === 0 ? 'row' : undefined },
                cell,
              ),
            ),
          ),
        ),
      ),
    );
  }

  function lowScoreList(rows) {
    return h(
      'ul',
      { class: 'low-scores' },
      rows.map((row) =>
        h(
          'li',
          { class: 'low-score', 'data-testid': 'low-score' },
          h(
            'div',
            { class: 'low-score-head' },
            h('span', { class: 'chip chip--low' }, t('rep.stars', { score: formatNumber(row.score) })),
            row.channel ? h('span', { class: 'chip' }, label('channel', row.channel)) : null,
            row.reference ? h('bdi', { dir: 'ltr', class: 'reference' }, row.reference) : null,
            h('time', { datetime: row.at, class: 'muted' }, formatDateTime(row.at)),
          ),
          h(
            'p',
            { class: 'prewrap', dir: 'auto', 'data-testid': 'low-score-comment' },
            row.comment ? withNumbers(row.comment) : t('rep.noComment'),
          ),
          row.conversationId
            ? h(
                'a',
                { href: `#/conversations/${encodeURIComponent(row.conversationId)}` },
                t('rep.openConversation'),
              )
            : null,
        ),
      ),
    );
  }

  load();
  return () => {
    disposed = true;
  };
}

/** ISO week "2025-W07" → "7/2025" (week/year, short enough for the axis); other formats as given. */
function weekLabel(week) {
  const match = /^(\d{4})-W(\d{2})$/.exec(String(week));
  if (!match) return String(week);
  return `${formatNumber(Number(match[2]))}/${match[1]}`;
}
