// Benchmark output: JSON + Markdown table + SVG chart (bars, grouped bars, lines) under one folder.
import * as fs from 'node:fs';
import * as path from 'node:path';

export function markdownTable(header: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Text for SVG/XML: paths and labels may hold &, < or quotes. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] ?? c);
}

export function barChartSvg(title: string, bars: { label: string; value: number }[]): string {
  const w = 120,
    h = 220,
    max = Math.max(1e-9, ...bars.map((b) => b.value));
  const items = bars
    .map((b, i) => {
      const bh = (b.value / max) * (h - 70);
      const x = 20 + i * w;
      return (
        `<rect x="${x}" y="${h - 40 - bh}" width="${w - 30}" height="${bh}" fill="#4a7ebb"/>` +
        `<text x="${x + (w - 30) / 2}" y="${h - 22}" text-anchor="middle" font-size="12">${escapeXml(b.label)}</text>` +
        `<text x="${x + (w - 30) / 2}" y="${h - 45 - bh}" text-anchor="middle" font-size="12">${b.value.toFixed(2)}</text>`
      );
    })
    .join('');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${40 + bars.length * w}" height="${h}" font-family="sans-serif">` +
    `<text x="10" y="16" font-size="13">${escapeXml(title)}</text>${items}</svg>\n`
  );
}

/** Bars grouped by category (e.g. modes), one colour per series, with a legend. */
export function groupedBarChartSvg(title: string, categories: string[], series: { label: string; values: (number | null)[] }[]): string {
  const barW = 26,
    gap = 28,
    h = 260,
    top = 40,
    bottom = 40;
  const groupW = series.length * barW + gap;
  const max = Math.max(1e-9, ...series.flatMap((s) => s.values.filter((v): v is number => v !== null && Number.isFinite(v))));
  const legendW = 260;
  const parts: string[] = [];
  categories.forEach((c, i) => {
    const x0 = 20 + i * groupW;
    series.forEach((s, j) => {
      const v = s.values[i];
      if (v === null || !Number.isFinite(v)) return;
      const bh = (v / max) * (h - top - bottom - 14);
      const x = x0 + j * barW;
      parts.push(
        `<rect x="${x}" y="${h - bottom - bh}" width="${barW - 4}" height="${bh}" fill="${COLORS[j % COLORS.length]}"/>` +
          `<text x="${x + (barW - 4) / 2}" y="${h - bottom - bh - 3}" text-anchor="middle" font-size="9">${v.toFixed(2)}</text>`,
      );
    });
    parts.push(
      `<text x="${x0 + (series.length * barW) / 2}" y="${h - bottom + 16}" text-anchor="middle" font-size="12">${escapeXml(c)}</text>`,
    );
  });
  const width = 40 + categories.length * groupW + legendW;
  series.forEach((s, j) => {
    const x = width - legendW + 10;
    parts.push(
      `<rect x="${x}" y="${top + j * 18}" width="12" height="12" fill="${COLORS[j % COLORS.length]}"/>` +
        `<text x="${x + 18}" y="${top + 10 + j * 18}" font-size="11">${escapeXml(s.label)}</text>`,
    );
  });
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${h}" font-family="sans-serif">` +
    `<text x="10" y="18" font-size="13">${escapeXml(title)}</text>${parts.join('')}</svg>\n`
  );
}

export interface LineSeries {
  label: string;
  points: [number, number][];
  color?: string;
  dashed?: boolean;
}

const COLORS = ['#4a7ebb', '#d0703c', '#5a9e5a', '#9b59b6', '#888888'];

/** A line chart with a log2 x axis when `logX` (batch sizes 1…128), and a linear y axis from 0 or,
 *  with `logY`, a log10(1 + y) one (counts from 1 to thousands in one picture). */
export function lineChartSvg(title: string, series: LineSeries[], axes: { x: string; y: string; logX?: boolean; logY?: boolean }): string {
  const W = 640,
    H = 380,
    left = 60,
    right = 150,
    top = 36,
    bottom = 48;
  const all = series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const xs = all.map(([x]) => x);
  const tx = (x: number) => (axes.logX ? Math.log2(Math.max(x, 1e-9)) : x);
  const x0 = Math.min(...xs.map(tx), axes.logX ? 0 : Infinity),
    x1 = Math.max(...xs.map(tx), x0 + 1e-9);
  const ty = (y: number) => (axes.logY ? Math.log10(1 + Math.max(0, y)) : y);
  const y1 = Math.max(1e-9, ...all.map(([, y]) => y)) * 1.05;
  const px = (x: number) => left + ((tx(x) - x0) / (x1 - x0 || 1)) * (W - left - right);
  const py = (y: number) => H - bottom - (ty(y) / ty(y1)) * (H - top - bottom);
  const parts: string[] = [];
  parts.push(`<line x1="${left}" y1="${H - bottom}" x2="${W - right}" y2="${H - bottom}" stroke="#333"/>`);
  parts.push(`<line x1="${left}" y1="${top}" x2="${left}" y2="${H - bottom}" stroke="#333"/>`);
  const distinct = [...new Set(xs)].sort((a, b) => a - b);
  const xTicks = axes.logX
    ? Array.from({ length: Math.floor(x1) - Math.ceil(x0) + 1 }, (_, i) => 2 ** (Math.ceil(x0) + i))
    : distinct.length <= 20
      ? distinct
      : distinct.filter((x) => x % niceStep(distinct[distinct.length - 1] / 10) === 0);
  for (const x of xTicks) {
    parts.push(
      `<line x1="${px(x)}" y1="${H - bottom}" x2="${px(x)}" y2="${H - bottom + 4}" stroke="#333"/>` +
        `<text x="${px(x)}" y="${H - bottom + 16}" text-anchor="middle" font-size="11">${x}</text>`,
    );
  }
  const yTicks: number[] = [];
  if (axes.logY) for (let y = 1; y <= y1; y *= 10) yTicks.push(y);
  else for (let y = 0, step = niceStep(y1 / 5); y <= y1; y += step) yTicks.push(y);
  for (const y of axes.logY ? [0, ...yTicks] : yTicks) {
    parts.push(
      `<line x1="${left}" y1="${py(y)}" x2="${W - right}" y2="${py(y)}" stroke="#ddd"/>` +
        `<text x="${left - 6}" y="${py(y) + 4}" text-anchor="end" font-size="11">${+y.toFixed(3)}</text>`,
    );
  }
  parts.push(`<text x="${(left + W - right) / 2}" y="${H - 10}" text-anchor="middle" font-size="12">${escapeXml(axes.x)}</text>`);
  parts.push(
    `<text x="14" y="${(top + H - bottom) / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 14 ${(top + H - bottom) / 2})">${escapeXml(axes.y)}</text>`,
  );
  series.forEach((s, i) => {
    const color = s.color ?? COLORS[i % COLORS.length];
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)).sort((a, b) => a[0] - b[0]);
    if (!pts.length) return;
    parts.push(
      `<polyline fill="none" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 4"' : ''} points="${pts.map(([x, y]) => `${px(x).toFixed(1)},${py(Math.min(y, y1)).toFixed(1)}`).join(' ')}"/>`,
    );
    if (!s.dashed && pts.length <= 200)
      for (const [x, y] of pts) parts.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="2.5" fill="${color}"/>`);
    parts.push(
      `<line x1="${W - right + 12}" y1="${top + 10 + i * 18}" x2="${W - right + 32}" y2="${top + 10 + i * 18}" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 4"' : ''}/>` +
        `<text x="${W - right + 38}" y="${top + 14 + i * 18}" font-size="11">${escapeXml(s.label)}</text>`,
    );
  });
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">` +
    `<text x="10" y="20" font-size="13">${escapeXml(title)}</text>${parts.join('')}</svg>\n`
  );
}

function niceStep(raw: number): number {
  const p = 10 ** Math.floor(Math.log10(raw));
  const n = raw / p;
  return (n <= 1 ? 1 : n <= 2 ? 2 : n <= 5 ? 5 : 10) * p;
}

/** Writes NAME.json, NAME.md and NAME.svg into `dir`; returns their paths. */
export function writeReport(
  dir: string,
  name: string,
  json: unknown,
  markdown: string,
  svg: string,
): { json: string; markdown: string; svg: string } {
  fs.mkdirSync(dir, { recursive: true });
  const files = { json: path.join(dir, `${name}.json`), markdown: path.join(dir, `${name}.md`), svg: path.join(dir, `${name}.svg`) };
  fs.writeFileSync(files.json, JSON.stringify(json, null, 2));
  fs.writeFileSync(files.markdown, markdown);
  fs.writeFileSync(files.svg, svg);
  return files;
}
