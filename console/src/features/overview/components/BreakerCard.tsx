import type { BreakerState } from '@/types/api';
import { pct } from './period';

/** The bulk-mail circuit breaker now, over its own window. */
export function BreakerCard({ b }: { b: BreakerState }) {
  const open = b.state === 'open';
  return (
    <section className={`card breaker ${open ? 'breaker-open' : 'breaker-closed'}`} aria-labelledby="breaker-title">
      <h2 id="breaker-title" className="chart-title">
        Circuit breaker: <span className={`badge ${open ? 'badge-danger' : 'badge-ok'}`}>{open ? 'open: bulk mail paused' : 'closed: mail flowing'}</span>
      </h2>
      {open && b.reason && <p role="alert">{b.reason}</p>}
      <p className="muted small">
        Over the last {b.window_hours} hours: {b.sent.toLocaleString('en-US')} sent, bounce rate {pct(b.bounce_rate, 2)} (pauses at{' '}
        {pct(b.bounce_rate_threshold, 2)}), complaint rate {pct(b.complaint_rate, 3)} (pauses at {pct(b.complaint_rate_threshold, 3)}). Rates count once{' '}
        {b.min_sends.toLocaleString('en-US')} mails were sent in the window.
      </p>
    </section>
  );
}
