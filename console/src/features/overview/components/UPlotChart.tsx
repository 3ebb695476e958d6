// The uPlot drawing of a TimeChart: loaded lazily (see TimeChart.tsx).
import { useEffect, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { timeRange } from '@/lib/time-range';
import { xs } from './period';
import { formatValue, type TimeChartProps } from './TimeChart';

export default function UPlotChart({ title, days, series, unit }: Pick<TimeChartProps, 'title' | 'days' | 'series' | 'unit'>) {
  const ref = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const [focused, setFocused] = useState<number | null>(null);

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const x = xs(days);
    const opts: uPlot.Options = {
      width: Math.max(el.clientWidth, 280),
      height: 220,
      // Days are UTC days: label them so, whatever the browser's zone.
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      cursor: { points: { size: 8 } },
      legend: { live: true },
      scales: {
        x: { time: true, range: (_u, min, max) => (x.length > 0 ? timeRange(Math.min(...x), Math.max(...x)) : [min, max]) },
        y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : unit === '%' ? 1 : 5] },
      },
      axes: [
        { stroke: '#667085', grid: { stroke: '#eef0f4' } },
        {
          stroke: '#667085',
          grid: { stroke: '#eef0f4' },
          size: unit === '%' ? 64 : 50,
          // Counts are whole numbers: no 0.5 contacts on the axis.
          incrs: unit === '%' ? undefined : [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6, 1e7, 1e8],
          values: (_u, splits) => splits.map((v) => formatValue(v, unit)),
        },
      ],
      series: [
        { label: 'Day', value: (_u, v) => (v == null ? '—' : new Date(v * 1000).toISOString().slice(0, 10)) },
        ...series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: 2,
          dash: s.dashed ? [6, 4] : undefined,
          points: { show: !s.dashed && days.length <= 31 },
          spanGaps: false,
          value: (_u: uPlot, v: number | null) => formatValue(v, unit),
        })),
      ],
    };
    const u = new uPlot(opts, [x, ...series.map((s) => s.values)] as uPlot.AlignedData, el);
    plot.current = u;
    const ro = typeof ResizeObserver === 'undefined' ? null : new ResizeObserver(() => u.setSize({ width: Math.max(el.clientWidth, 280), height: 220 }));
    ro?.observe(el);
    return () => {
      ro?.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [days, series, unit]);

  // Arrow keys move the cursor day by day, as the mouse does.
  function onKeyDown(e: React.KeyboardEvent) {
    const u = plot.current;
    if (!u || days.length === 0) return;
    let i = focused ?? -1;
    if (e.key === 'ArrowRight') i = Math.min(days.length - 1, i + 1);
    else if (e.key === 'ArrowLeft') i = Math.max(0, i < 0 ? days.length - 1 : i - 1);
    else if (e.key === 'Home') i = 0;
    else if (e.key === 'End') i = days.length - 1;
    else return;
    e.preventDefault();
    setFocused(i);
    const left = u.valToPos(xs(days)[i], 'x');
    u.setCursor({ left, top: u.bbox.height / (2 * devicePixelRatio) });
  }

  const readout =
    focused === null
      ? ''
      : `${days[focused]}: ` + series.map((s) => `${s.label} ${formatValue(s.values[focused], unit)}`).join(', ');

  return (
    <div
      className="chart-plot"
      ref={ref}
      tabIndex={0}
      role="group"
      aria-label={`${title}: chart. Use the left and right arrow keys to read each day's numbers.`}
      onKeyDown={onKeyDown}
    >
      <span className="sr-only" aria-live="polite">
        {readout}
      </span>
    </div>
  );
}
