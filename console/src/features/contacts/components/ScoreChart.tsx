// The score over time, drawn with uPlot. This module is loaded lazily (the
// contact page imports it with React.lazy), so uPlot stays out of the
// initial bundle and out of every other page.
import { useEffect, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatDate } from '@/components/ui';
import type { ScorePoint } from '@/types/api';
import { timeRange } from '@/lib/time-range';
import { explainPoint } from './explain';

export default function ScoreChart({ series }: { series: ScorePoint[] }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const [selected, setSelected] = useState(series.length - 1);
  const [drawFailed, setDrawFailed] = useState(false);

  useEffect(() => {
    const el = box.current;
    if (!el || series.length === 0) return;
    const xs = series.map((p) => Date.parse(p.at) / 1000);
    const ys = series.map((p) => p.total);
    const opts: uPlot.Options = {
      width: Math.max(el.clientWidth, 280),
      height: 200,
      legend: { show: false },
      cursor: { points: { size: 9 }, drag: { x: false, y: false } },
      scales: { x: { time: true, range: () => timeRange(Math.min(...xs), Math.max(...xs)) } },
      axes: [{}, { label: 'Score' }],
      series: [{}, { label: 'Score', stroke: '#2753d6', width: 2, points: { show: true, size: 6 } }],
      hooks: {
        setCursor: [
          (u) => {
            if (u.cursor.idx != null) setSelected(u.cursor.idx);
          },
        ],
      },
    };
    if (!document.createElement('canvas').getContext('2d')) {
      // No canvas (a locked-down browser, a test DOM): the points stay
      // readable through the slider and the list of changes.
      setDrawFailed(true);
      return;
    }
    plot.current = new uPlot(opts, [xs, ys], el);
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(el.clientWidth, 280), height: 200 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [series]);

  function select(i: number) {
    setSelected(i);
    const u = plot.current;
    if (!u) return;
    const x = Date.parse(series[i].at) / 1000;
    u.setCursor({ left: u.valToPos(x, 'x'), top: u.valToPos(series[i].total, 'y') });
  }

  const point = series[Math.min(Math.max(selected, 0), series.length - 1)];
  return (
    <figure className="score-chart">
      <div ref={box} className="score-chart-plot" role="img" aria-label={`Score over time: ${series.length} points, from ${series[0].total} to ${series[series.length - 1].total}`} />
      {drawFailed && <p className="muted small">The chart could not be drawn in this browser; use the slider to read each point.</p>}
      <label className="score-chart-slider">
        Point {selected + 1} of {series.length}
        <input type="range" min={0} max={series.length - 1} value={selected} onChange={(e) => select(Number(e.target.value))} />
      </label>
      <figcaption aria-live="polite" className="score-point">
        <strong>
          {point.total} on {formatDate(point.at)}
        </strong>{' '}
        after {point.event || 'an event'}: {explainPoint(point)}
      </figcaption>
    </figure>
  );
}
