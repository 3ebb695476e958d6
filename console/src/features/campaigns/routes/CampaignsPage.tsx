import { Link } from 'react-router';
import { PageHeader, formatDate } from '@/components/ui';
import { QueryState } from '@/components/query-state';
import type { CampaignView } from '@/types/api';
import { useCampaignResults, useCampaigns } from '../api/campaigns';
import { STATE_LABEL, describeSchedule, n } from '../components/campaign';
import { NewCampaign } from '../components/NewCampaign';
import { useCan } from '@/lib/session';

export function CampaignsPage() {
  const q = useCampaigns();
  const canWrite = useCan('marketer');
  return (
    <>
      <PageHeader title="Campaigns">
        <Link to="/calendar">Calendar</Link>
      </PageHeader>
      {canWrite && <NewCampaign />}
      <QueryState
        query={q}
        loading="Loading campaigns…"
        isEmpty={(d) => d.campaigns.length === 0}
        empty={{
          title: 'No campaigns yet',
          next: (
            <>
              Create one by adding <code>definitions/campaigns/&lt;id&gt;.json</code> to the repo, or with{' '}
              <code>PUT /v1/campaigns/&lt;id&gt;</code> (README, “Campaigns”); it then shows here as a draft to edit and schedule.
            </>
          ),
        }}
      >
        {(d) => (
          <div className="card table-card">
            <table>
              <caption className="sr-only">Campaigns</caption>
              <thead>
                <tr>
                  <th scope="col">Campaign</th>
                  <th scope="col">State</th>
                  <th scope="col">Schedule</th>
                  <th scope="col">Recipients</th>
                  <th scope="col">Sent</th>
                  <th scope="col">Updated</th>
                </tr>
              </thead>
              <tbody>
                {d.campaigns.map((c) => (
                  <CampaignRow key={c.id} c={c} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </QueryState>
    </>
  );
}

function CampaignRow({ c }: { c: CampaignView }) {
  // A draft never sent: no counters to ask for.
  const r = useCampaignResults(c.id, c.state !== 'draft');
  const count = (k: string) => (c.state === 'draft' ? '—' : r.data ? n(r.data.totals, k).toLocaleString() : r.error ? '?' : '…');
  return (
    <tr>
      <td>
        <Link to={`/campaigns/${encodeURIComponent(c.id)}`}>{c.name || c.id}</Link>
      </td>
      <td>
        <span className={`badge badge-${c.state}`}>{STATE_LABEL[c.state] ?? c.state}</span>
      </td>
      <td>{describeSchedule(c.schedule)}</td>
      <td>{count('recipients')}</td>
      <td>{count('sent')}</td>
      <td>{formatDate(c.updated_at ?? undefined)}</td>
    </tr>
  );
}
