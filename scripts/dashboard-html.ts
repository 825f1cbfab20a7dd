// Draws the panels of deploy/grafana/nim-graphql.json as an HTML page (SVG charts laid out on the
// dashboard's own 24-column grid), from query results: what render-dashboard.ts screenshots.

export interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: { expr: string; legendFormat?: string }[];
  fieldConfig?: {
    defaults?: {
      unit?: string;
      decimals?: number;
      custom?: { stacking?: { mode?: string } };
      thresholds?: { steps: { color: string; value: number | null }[] };
      mappings?: { options: Record<string, { text: string; color: string }> }[];
    };
  };
}

export interface Series {
  name: string;
  /** [unix seconds, value]; NaN where the query had no value. */
  points: [number, number][];
}

const PALETTE = [
  '#73BF69',
  '#F2CC0C',
  '#8AB8FF',
  '#FF780A',
  '#F2495C',
  '#5794F2',
  '#B877D9',
  '#FF9830',
  '#37872D',
  '#FADE2A',
  '#C4162A',
  '#1F60C4',
];
const COLORS: Record<string, string> = {
  green: '#73BF69',
  orange: '#FF9830',
  red: '#F2495C',
  yellow: '#FADE2A',
  blue: '#5794F2',
};
const UNIT_PX = 30;
const WIDTH = 1600;

const escape = (text: string) =>
  text.replace(
    /[&<>"]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c,
  );

/** A value in the panel's unit, as Grafana would print it (roughly). */
function format(value: number, unit = 'short', decimals?: number): string {
  if (!Number.isFinite(value)) return '–';
  const fixed = (v: number, d = 1) => v.toFixed(Math.abs(v) >= 100 ? 0 : (decimals ?? d));
  const scaled = (v: number, steps: [number, string][]) => {
    for (const [size, suffix] of steps)
      if (Math.abs(v) >= size) return `${fixed(v / size)}${suffix}`;
    return fixed(v);
  };
  switch (unit) {
    case 's':
      if (value === 0) return '0 s';
      if (Math.abs(value) < 0.001) return `${fixed(value * 1e6)} µs`;
      if (Math.abs(value) < 1) return `${fixed(value * 1000)} ms`;
      return `${fixed(value, 2)} s`;
    case 'reqps':
      return `${scaled(value, [
        [1e6, 'M'],
        [1e3, 'k'],
      ])} req/s`;
    case 'percentunit':
      return `${fixed(value * 100)}%`;
    case 'bytes':
      return Math.abs(value) < 1024
        ? `${fixed(value)} B`
        : scaled(value, [
            [2 ** 30, ' GiB'],
            [2 ** 20, ' MiB'],
            [2 ** 10, ' KiB'],
          ]);
    default:
      return scaled(value, [
        [1e6, 'M'],
        [1e3, 'k'],
      ]);
  }
}

const time = (seconds: number) => new Date(seconds * 1000).toISOString().slice(11, 19);

function colorOf(panel: Panel, value: number): string {
  const steps = panel.fieldConfig?.defaults?.thresholds?.steps ?? [{ color: 'green', value: null }];
  let color = steps[0]!.color;
  for (const step of steps) if (step.value !== null && value >= step.value) color = step.color;
  return COLORS[color] ?? color;
}

function lastValue(series: Series[]): number {
  const points = series[0]?.points.filter(([, v]) => Number.isFinite(v)) ?? [];
  return points.at(-1)?.[1] ?? Number.NaN;
}

function statBody(panel: Panel, series: Series[], width: number, height: number): string {
  const value = lastValue(series);
  const unit = panel.fieldConfig?.defaults?.unit;
  const color = Number.isFinite(value) ? colorOf(panel, value) : '#8e8e8e';
  const points = series[0]?.points.filter(([, v]) => Number.isFinite(v)) ?? [];
  const max = Math.max(...points.map(([, v]) => v), 1e-12);
  const [t0, t1] = [points[0]?.[0] ?? 0, points.at(-1)?.[0] ?? 1];
  const path = points
    .map(
      ([t, v], i) =>
        `${i === 0 ? 'M' : 'L'}${((t - t0) / (t1 - t0 || 1)) * width},${height - (v / max) * height * 0.45}`,
    )
    .join(' ');
  return `<svg width="${width}" height="${height}"><path d="${path} L${width},${height} L0,${height} Z" fill="${color}" fill-opacity="0.15" stroke="${color}" stroke-opacity="0.6"/>
    <text x="${width / 2}" y="${height * 0.5}" text-anchor="middle" font-size="${Math.min(40, height * 0.4)}" font-weight="500" fill="${color}">${escape(format(value, unit, panel.fieldConfig?.defaults?.decimals))}</text></svg>`;
}

function timelineBody(panel: Panel, series: Series[], width: number, height: number): string {
  const mapping = panel.fieldConfig?.defaults?.mappings?.[0]?.options ?? {};
  const rows = series.length || 1;
  const label = 150;
  const rowHeight = Math.min(40, (height - 20) / rows);
  const all = series.flatMap((s) => s.points.map(([t]) => t));
  const [t0, t1] = [Math.min(...all), Math.max(...all)];
  const x = (t: number) => label + ((t - t0) / (t1 - t0 || 1)) * (width - label);
  let svg = '';
  series.forEach((s, row) => {
    const y = row * rowHeight + 4;
    svg += `<text x="0" y="${y + rowHeight / 2 + 4}" font-size="12" fill="#ccccdc">${escape(s.name)}</text>`;
    for (let i = 0; i < s.points.length; i += 1) {
      const [t, v] = s.points[i]!;
      const next = s.points[i + 1]?.[0] ?? t1;
      const state = mapping[String(v)];
      svg += `<rect x="${x(t)}" y="${y}" width="${Math.max(1, x(next) - x(t))}" height="${rowHeight - 6}" fill="${COLORS[state?.color ?? ''] ?? '#555'}"/>`;
    }
  });
  const states = Object.values(mapping)
    .map(
      (state) =>
        `<tspan fill="${COLORS[state.color] ?? state.color}">■</tspan> ${escape(state.text)}   `,
    )
    .join('');
  return `<svg width="${width}" height="${height}">${svg}<text x="${label}" y="${height - 4}" font-size="12" fill="#ccccdc">${states}</text></svg>`;
}

function timeseriesBody(panel: Panel, series: Series[], width: number, height: number): string {
  const unit = panel.fieldConfig?.defaults?.unit;
  const stacked = panel.fieldConfig?.defaults?.custom?.stacking?.mode === 'normal';
  const legendRows = Math.ceil(series.length / Math.max(1, Math.floor(width / 240)));
  const plot = { left: 70, top: 6, right: width - 8, bottom: height - 22 - legendRows * 16 };
  const times = [...new Set(series.flatMap((s) => s.points.map(([t]) => t)))].sort((a, b) => a - b);
  const [t0, t1] = [times[0] ?? 0, times.at(-1) ?? 1];
  // Stacked: each series drawn on top of the ones before it.
  const base = new Map<number, number>();
  const drawn = series.map((s) => {
    const values = new Map(s.points);
    return times.map((t) => {
      const v = values.get(t) ?? Number.NaN;
      const below = stacked ? (base.get(t) ?? 0) : 0;
      if (stacked && Number.isFinite(v)) base.set(t, below + v);
      return [t, Number.isFinite(v) ? below + v : Number.NaN, below] as const;
    });
  });
  const max = Math.max(...drawn.flat().map(([, v]) => (Number.isFinite(v) ? v : 0)), 1e-9) * 1.1;
  const x = (t: number) => plot.left + ((t - t0) / (t1 - t0 || 1)) * (plot.right - plot.left);
  const y = (v: number) => plot.bottom - (v / max) * (plot.bottom - plot.top);
  let svg = '';
  for (let i = 0; i <= 4; i += 1) {
    const v = (max / 4) * i;
    svg += `<line x1="${plot.left}" x2="${plot.right}" y1="${y(v)}" y2="${y(v)}" stroke="#2c3235"/><text x="${plot.left - 6}" y="${y(v) + 4}" text-anchor="end" font-size="11" fill="#9fa7b3">${escape(format(v, unit))}</text>`;
  }
  for (let i = 0; i <= 4; i += 1) {
    const t = t0 + ((t1 - t0) / 4) * i;
    svg += `<text x="${x(t)}" y="${plot.bottom + 14}" text-anchor="middle" font-size="11" fill="#9fa7b3">${time(t)}</text>`;
  }
  drawn.forEach((points, index) => {
    const color = PALETTE[index % PALETTE.length]!;
    let line = '';
    let pen = false;
    for (const [t, v] of points) {
      if (!Number.isFinite(v)) {
        pen = false;
        continue;
      }
      line += `${pen ? 'L' : 'M'}${x(t).toFixed(1)},${y(v).toFixed(1)} `;
      pen = true;
    }
    // The area under each unbroken run of values (a query without a value leaves a gap).
    const runs: (typeof points)[number][][] = [[]];
    for (const point of points) {
      if (Number.isFinite(point[1])) runs.at(-1)!.push(point);
      else if (runs.at(-1)!.length > 0) runs.push([]);
    }
    for (const run of runs.filter((r) => r.length > 1)) {
      const top = run
        .map(([t, v], i) => `${i === 0 ? 'M' : 'L'}${x(t).toFixed(1)},${y(v).toFixed(1)}`)
        .join(' ');
      const bottom = [...run]
        .reverse()
        .map(([t, , b]) => `L${x(t).toFixed(1)},${y(b).toFixed(1)}`)
        .join(' ');
      svg += `<path d="${top} ${bottom} Z" fill="${color}" fill-opacity="0.1"/>`;
    }
    svg += `<path d="${line}" fill="none" stroke="${color}" stroke-width="1.5"/>`;
  });
  const perRow = Math.max(1, Math.floor(width / 240));
  series.forEach((s, index) => {
    const lx = 8 + (index % perRow) * 240;
    const ly = plot.bottom + 32 + Math.floor(index / perRow) * 16;
    svg += `<rect x="${lx}" y="${ly - 9}" width="12" height="3" fill="${PALETTE[index % PALETTE.length]}"/><text x="${lx + 16}" y="${ly - 4}" font-size="11" fill="#ccccdc">${escape(s.name.slice(0, 36))}</text>`;
  });
  return `<svg width="${width}" height="${height}">${svg}</svg>`;
}

export interface Page {
  title: string;
  caption: string;
  panels: { panel: Panel; series: Series[] }[];
}

export function dashboardHtml(page: Page): string {
  const unit = (WIDTH - 16) / 24;
  const bottom = Math.max(...page.panels.map(({ panel }) => panel.gridPos.y + panel.gridPos.h));
  const cells = page.panels
    .map(({ panel, series }) => {
      const { x, y, w, h } = panel.gridPos;
      const [left, top, width, height] = [
        8 + x * unit,
        64 + y * UNIT_PX,
        w * unit - 8,
        h * UNIT_PX - 8,
      ];
      if (panel.type === 'row')
        return `<div class="row" style="left:${left}px;top:${top}px;width:${width}px">${escape(panel.title)}</div>`;
      const [bodyWidth, bodyHeight] = [width - 16, height - 36];
      const body =
        panel.type === 'stat'
          ? statBody(panel, series, bodyWidth, bodyHeight)
          : panel.type === 'state-timeline'
            ? timelineBody(panel, series, bodyWidth, bodyHeight)
            : timeseriesBody(panel, series, bodyWidth, bodyHeight);
      return `<div class="panel" style="left:${left}px;top:${top}px;width:${width}px;height:${height}px"><div class="title">${escape(panel.title)}</div>${body}</div>`;
    })
    .join('\n');
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escape(page.title)}</title><style>
    body { margin: 0; background: #111217; color: #ccccdc; font: 13px Inter, 'Helvetica Neue', Arial, sans-serif; }
    header { position: absolute; left: 16px; top: 10px; right: 16px; }
    header h1 { margin: 0; font-size: 18px; font-weight: 500; } header p { margin: 4px 0 0; color: #9fa7b3; font-size: 12px; }
    .panel { position: absolute; background: #181b1f; border: 1px solid #2c3235; border-radius: 2px; padding: 6px 8px; box-sizing: border-box; overflow: hidden; }
    .title { font-weight: 500; font-size: 13px; margin-bottom: 6px; }
    .row { position: absolute; font-size: 15px; font-weight: 500; padding-top: 6px; }
  </style></head><body style="width:${WIDTH}px;height:${64 + bottom * UNIT_PX + 8}px">
  <header><h1>${escape(page.title)}</h1><p>${escape(page.caption)}</p></header>
  ${cells}
  </body></html>`;
}
