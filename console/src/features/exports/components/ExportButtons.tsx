import { useState } from 'react';
import { splitColumns, useExport, useStartExport } from '../api/exports';
import { ErrorMessage } from '@/components/ui';
import { useCan } from '@/lib/session';

/** Export a segment or list as CSV (chosen columns) or an ad audience; shows the state and the download link. */
export function ExportButtons({ segmentId, listId }: { segmentId?: string; listId?: string }) {
  const allowed = useCan('marketer');
  const start = useStartExport();
  const [columns, setColumns] = useState('id, email, status, stage');
  const [target, setTarget] = useState<'google_ads' | 'meta'>('google_ads');
  const exp = useExport(start.data?.id);
  if (!allowed) return null;
  const ref = segmentId ? { segment_id: segmentId } : { list_id: listId };
  const view = exp.data ?? start.data;
  return (
    <section className="card" aria-label="Export">
      <h2>Export</h2>
      <label>
        CSV columns
        <input value={columns} onChange={(e) => setColumns(e.target.value)} />
      </label>
      <button type="button" disabled={start.isPending} onClick={() => start.mutate({ ...ref, format: 'csv', columns: splitColumns(columns) })}>
        Export CSV
      </button>{' '}
      <label>
        Audience for
        <select value={target} onChange={(e) => setTarget(e.target.value as 'google_ads' | 'meta')}>
          <option value="google_ads">Google Ads</option>
          <option value="meta">Meta</option>
        </select>
      </label>
      <button type="button" disabled={start.isPending} onClick={() => start.mutate({ ...ref, format: 'audience', target })}>
        Export ad audience
      </button>
      <ErrorMessage error={start.error ?? exp.error} />
      {view && (
        <p role="status">
          {view.state === 'running' && 'Exporting…'}
          {view.state === 'failed' && `Export failed: ${view.error ?? ''}`}
          {view.state === 'done' && (
            <>
              {view.rows} rows ({view.skipped} left out).{' '}
              {view.download_url && (
                <a href={view.download_url} rel="noreferrer">
                  Download
                </a>
              )}
            </>
          )}
        </p>
      )}
    </section>
  );
}
