// One campaign: its state with the lifecycle actions the role allows, the
// definition in the one definition editor, and its results.
import { Link, useParams } from 'react-router';
import { useQueryClient } from '@tanstack/react-query';
import { ErrorMessage, PageHeader, formatDate } from '@/components/ui';
import { QueryState } from '@/components/query-state';
import { DefinitionEditor } from '@/components/definitions';
import { useCan } from '@/lib/session';
import type { CampaignDefinition, CampaignView } from '@/types/api';
import { useCampaign, useCampaignAction } from '../api/campaigns';
import { STATE_LABEL, actionsFor, describeSchedule, type ActionInfo } from '../components/campaign';
import { CampaignResultsView } from '../components/CampaignResults';

export function CampaignPage() {
  const { id = '' } = useParams();
  const q = useCampaign(id);
  const qc = useQueryClient();
  return (
    <>
      <PageHeader title={q.data?.name || id}>
        <Link to="/campaigns">All campaigns</Link>
      </PageHeader>
      <QueryState query={q} loading="Loading the campaign…">
        {(c) => (
          <>
            <LifecycleCard c={c} />
            <CampaignResultsView id={id} />
            <DefinitionEditor<CampaignDefinition>
              kind="campaigns"
              id={id}
              noun="campaign"
              summary={(d) => <CampaignSummary d={d} />}
              notice={<p className="muted small">Content can change until the first send starts; a change after approval needs a new approval.</p>}
              onSaved={() => {
                void qc.invalidateQueries({ queryKey: ['campaign', id] });
                void qc.invalidateQueries({ queryKey: ['campaigns'] });
              }}
            />
          </>
        )}
      </QueryState>
    </>
  );
}

function LifecycleCard({ c }: { c: CampaignView }) {
  const act = useCampaignAction(c.id);
  const lc = c.lifecycle;
  const asMarketer = useCan('marketer');
  const asApprover = useCan('approver');
  // Only the moves this user may make: a viewer sees the state, no buttons.
  const actions = actionsFor(c.state, lc).filter((a) => (a.role === 'approver' ? asApprover : asMarketer));
  return (
    <section className="card" aria-labelledby="campaign-state-h">
      <h2 id="campaign-state-h">State</h2>
      <p>
        <span className={`badge badge-${c.state}`}>{STATE_LABEL[c.state] ?? c.state}</span> · {describeSchedule(c.schedule)}
      </p>
      <dl className="facts small">
        {lc?.author && (
          <>
            <dt>Last edited by</dt>
            <dd>{lc.author}</dd>
          </>
        )}
        {lc?.scheduled_at && !lc.scheduled_at.startsWith('0001-') && (
          <>
            <dt>Scheduled</dt>
            <dd>
              {formatDate(lc.scheduled_at)}
              {lc.scheduled_by ? ` by ${lc.scheduled_by}` : ''}
            </dd>
          </>
        )}
        {lc?.approval && (
          <>
            <dt>Approved</dt>
            <dd>
              {formatDate(lc.approval.at)} by {lc.approval.by}
              {lc.approval.content_hash !== lc.content_hash ? ' (of earlier content)' : ''}
            </dd>
          </>
        )}
        {lc?.first_send_at && (
          <>
            <dt>First send</dt>
            <dd>{formatDate(lc.first_send_at)}</dd>
          </>
        )}
      </dl>
      {actions.length > 0 && (
        <div className="actions" role="group" aria-label="Campaign actions">
          {actions.map((a) => (
            <ActionButton key={a.action} a={a} pending={act.isPending} run={() => act.mutate(a.action)} />
          ))}
        </div>
      )}
      {act.isSuccess && (
        <p role="status" className="notice small">
          Done: the campaign is now {STATE_LABEL[act.data.state] ?? act.data.state}.
        </p>
      )}
      <ErrorMessage error={act.error} />
    </section>
  );
}

function ActionButton({ a, pending, run }: { a: ActionInfo; pending: boolean; run: () => void }) {
  return (
    <button
      type="button"
      className={a.action === 'cancel' ? 'danger' : undefined}
      disabled={pending}
      onClick={() => {
        if (a.confirm && !window.confirm(a.confirm)) return;
        run();
      }}
    >
      {a.label}
    </button>
  );
}

function CampaignSummary({ d }: { d: CampaignDefinition }) {
  const aud = d.audience ?? {};
  return (
    <dl className="facts small">
      <dt>Audience</dt>
      <dd>
        {[...(aud.segments ?? []).map((s) => `segment ${s}`), ...(aud.lists ?? []).map((l) => `list ${l}`)].join(', ') || 'none'}
        {aud.exclude_segments?.length ? `; excluding ${aud.exclude_segments.join(', ')}` : ''}
      </dd>
      <dt>Content</dt>
      <dd>
        {d.variants?.length
          ? `A/B test: ${d.variants.map((v) => `${v.id} = ${v.template}`).join(', ')}${d.ab_test ? ` (${d.ab_test.test_share}% tested on ${d.ab_test.metric}${d.ab_test.manual ? ', winner picked by hand' : ''})` : ''}`
          : d.template ?? '—'}
      </dd>
      <dt>Schedule</dt>
      <dd>{describeSchedule(d.schedule)}</dd>
    </dl>
  );
}
