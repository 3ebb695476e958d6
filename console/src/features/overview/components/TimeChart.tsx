// A daily time-series chart. The drawing library (uPlot) loads with the
// first chart, not with the console's first paint. Every chart also
// carries its numbers as text for screen readers, and the plot itself can
// be read day by day with the arrow keys (the legend shows each day's
// numbers, as it does on hover).
import { lazy, Suspense } from 'react';
import { Loading } from '@/components/ui';

const UPlotChart = lazy(() => import('./UPlotChart'));

export interface ChartSeries {
  label: string;
  values: (number | null)[];
  color: string;
  /** Dashed: a threshold, not a measurement. */
  dashed?: boolean;
}

export interface TimeChartProps {
  title: string;
  description?: string;
  days: string[];
  series: ChartSeries[];
  /** '%': values are percentages. */
  unit?: '%';
  children?: React.ReactNode;
}

export function formatValue(v: number | null | undefined, unit?: '%'): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  if (unit === '%') return `${v.toFixed(v < 1 ? 2 : 1)}%`;
  return Number.isInteger(v) ? v.toLocaleString('en-US') : v.toFixed(1);
}

export function TimeChart({ title, description, days, series, unit, children }: TimeChartProps) {
  const id = 'chart-' + title.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  return (
    <figure className="card chart" aria-labelledby={id + '-title'}>
      <figcaption>
        <h2 id={id + '-title'} className="chart-title">
          {title}
        </h2>
        {description && <p className="muted small">{description}</p>}
        {children}
      </figcaption>
      <Suspense fallback={<Loading label="Drawing the chart…" />}>
        <UPlotChart title={title} days={days} series={series} unit={unit} />
      </Suspense>
      <table className="sr-only">
        <caption>{title}, per day (UTC)</caption>
        <thead>
          <tr>
            <th scope="col">Day</th>
            {series.map((s) => (
              <th scope="col" key={s.label}>
                {s.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {days.map((d, i) => (
            <tr key={d}>
              <th scope="row">{d}</th>
              {series.map((s) => (
                <td key={s.label}>{formatValue(s.values[i], unit)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
