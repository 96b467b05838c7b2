// Benchmark output: JSON + Markdown table + SVG bar chart under one folder.
import * as fs from 'node:fs';
import * as path from 'node:path';

export function markdownTable(header: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export function barChartSvg(title: string, bars: { label: string; value: number }[]): string {
  const w = 120, h = 220, max = Math.max(1e-9, ...bars.map((b) => b.value));
  const items = bars.map((b, i) => {
    const bh = (b.value / max) * (h - 70);
    const x = 20 + i * w;
    return `<rect x="${x}" y="${h - 40 - bh}" width="${w - 30}" height="${bh}" fill="#4a7ebb"/>` +
      `<text x="${x + (w - 30) / 2}" y="${h - 22}" text-anchor="middle" font-size="12">${b.label}</text>` +
      `<text x="${x + (w - 30) / 2}" y="${h - 45 - bh}" text-anchor="middle" font-size="12">${b.value.toFixed(2)}</text>`;
  }).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${40 + bars.length * w}" height="${h}" font-family="sans-serif">` +
    `<text x="10" y="16" font-size="13">${title}</text>${items}</svg>\n`;
}

export function writeReport(dir: string, name: string, json: unknown, markdown: string, svg: string): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(json, null, 2));
  fs.writeFileSync(path.join(dir, `${name}.md`), markdown);
  fs.writeFileSync(path.join(dir, `${name}.svg`), svg);
}
