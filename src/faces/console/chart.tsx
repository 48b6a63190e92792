import type { MetricsBucket } from "../../services/metrics";

/** One series of a bar chart: a label, a CSS class (colour) and a value per bucket. */
export interface Series {
  label: string;
  cls: string;
  values: number[];
}

const W = 720;
const H = 160;
const PAD = 24;

/**
 * A stacked bar chart as plain SVG (no library, no script): one bar per bucket, one segment
 * per series, with a <title> per bar for the exact numbers and a table fallback for screen
 * readers (the SVG itself is aria-hidden; `summary` describes it).
 */
export function BarChart(p: { title: string; buckets: MetricsBucket[]; series: Series[] }) {
  const n = p.buckets.length || 1;
  const totals = p.buckets.map((_, i) => p.series.reduce((s, x) => s + (x.values[i] ?? 0), 0));
  const max = Math.max(1, ...totals);
  const bw = (W - PAD) / n;
  const sum = p.series.map((s) => `${s.label}: ${s.values.reduce((a, b) => a + b, 0)}`).join(", ");
  return (
    <figure class="chart">
      <figcaption>
        {p.title} <span class="muted">({sum})</span>
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H + 18}`} role="img" aria-label={`${p.title}: ${sum}`}>
        <line x1={PAD} y1={H} x2={W} y2={H} class="axis" />
        <text x={0} y={10} class="tick">
          {max}
        </text>
        <text x={0} y={H} class="tick">
          0
        </text>
        {p.buckets.map((b, i) => {
          let y = H;
          const x = PAD + i * bw;
          return (
            <g>
              <title>{`${b.start}: ${p.series.map((s) => `${s.label} ${s.values[i] ?? 0}`).join(", ")}`}</title>
              {p.series.map((s) => {
                const h = ((s.values[i] ?? 0) / max) * (H - 8);
                y -= h;
                return h > 0 ? <rect x={x + 1} y={y} width={Math.max(1, bw - 2)} height={h} class={s.cls} /> : null;
              })}
            </g>
          );
        })}
        <text x={PAD} y={H + 14} class="tick">
          {p.buckets[0]?.start.slice(5, 16).replace("T", " ") ?? ""}
        </text>
        <text x={W} y={H + 14} class="tick end">
          {p.buckets[p.buckets.length - 1]?.start.slice(5, 16).replace("T", " ") ?? ""}
        </text>
      </svg>
      <ul class="legend">
        {p.series.map((s) => (
          <li>
            <span class={`swatch ${s.cls}`}></span>
            {s.label}
          </li>
        ))}
      </ul>
    </figure>
  );
}
