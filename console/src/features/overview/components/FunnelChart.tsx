// The lifecycle funnel as bars: how many reached each stage in the period,
// the conversion to the next stage and the median time it took. The
// numbers show on hover and on keyboard focus of each bar.
import type { FunnelReport } from '@/types/api';
import { hours, pct } from './period';

const LABELS: Record<string, string> = { mql: 'MQL', sql: 'SQL' };

function stageLabel(stage: string): string {
  return LABELS[stage] ?? stage.charAt(0).toUpperCase() + stage.slice(1);
}

export function FunnelChart({ funnel }: { funnel: FunnelReport }) {
  const max = Math.max(1, ...funnel.stages.map((s) => s.reached));
  return (
    <figure className="card chart" aria-labelledby="funnel-title">
      <figcaption>
        <h2 id="funnel-title" className="chart-title">
          Lifecycle funnel
        </h2>
        <p className="muted small">
          Contacts reaching each stage in the period (a jump past a stage counts as reaching it), the share that went on to the next stage, and the median
          time between the two.
        </p>
      </figcaption>
      <ol className="funnel">
        {funnel.stages.map((s, i) => {
          const next = funnel.stages[i + 1];
          const tip = next
            ? `${s.stage}: ${s.reached} reached; ${pct(s.conversion_to_next)} went on to ${next.stage}` +
              (s.median_hours_to_next !== null ? `, median ${hours(s.median_hours_to_next)} (${s.samples_to_next} moves)` : '')
            : `${s.stage}: ${s.reached} reached`;
          return (
            <li key={s.stage} className="funnel-row" tabIndex={0} title={tip} aria-label={tip}>
              <span className="funnel-stage">{stageLabel(s.stage)}</span>
              <span className="funnel-track" aria-hidden="true">
                <span className={`funnel-bar funnel-${s.stage}`} style={{ width: `${(100 * s.reached) / max}%` }} />
              </span>
              <span className="funnel-count num" aria-hidden="true">
                {s.reached.toLocaleString('en-US')}
              </span>
              {next && (
                <span className="funnel-step muted small" aria-hidden="true">
                  ↓ {pct(s.conversion_to_next)} · {hours(s.median_hours_to_next)}
                </span>
              )}
            </li>
          );
        })}
      </ol>
    </figure>
  );
}
