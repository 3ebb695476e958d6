// Create a campaign: the few fields a draft needs (the API's validator
// wants a name, an audience and a template); the rest (schedule, A/B test,
// exclusions) is edited on the campaign's page in the definition editor.
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { ErrorMessage } from '@/components/ui';
import { useTemplates } from '@/features/templates/api/templates';
import { useLists } from '@/features/lists/api/lists';
import { useSegments } from '@/features/segments/api/segments';
import type { CampaignDefinition } from '@/types/api';
import { useCreateCampaign } from '../api/campaigns';

/** draftOf is the definition the form creates: sent as soon as scheduled until the schedule is edited. */
export function draftOf(f: { id: string; name: string; template: string; audience: string; topic: string }): CampaignDefinition {
  const [kind, ref] = f.audience.split(':', 2);
  return {
    id: f.id,
    name: f.name.trim(),
    audience: kind === 'segment' ? { segments: [ref] } : { lists: [ref] },
    template: f.template,
    ...(f.topic.trim() ? { topic: f.topic.trim() } : {}),
    schedule: { type: 'now' },
  };
}

export function NewCampaign() {
  const templates = useTemplates();
  const lists = useLists();
  const segments = useSegments();
  const create = useCreateCampaign();
  const navigate = useNavigate();
  const [f, setF] = useState({ id: '', name: '', template: '', audience: '', topic: '' });
  const set = (k: keyof typeof f) => (e: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>) => setF({ ...f, [k]: e.target.value });
  return (
    <form
      className="card"
      aria-label="New campaign"
      onSubmit={(e) => {
        e.preventDefault();
        create.mutate(draftOf(f), { onSuccess: () => navigate(`/campaigns/${encodeURIComponent(f.id)}`) });
      }}
    >
      <h2>New campaign</h2>
      <label>
        Id
        <input value={f.id} onChange={set('id')} pattern="[a-z0-9][a-z0-9-]*" maxLength={63} required />
      </label>
      <label>
        Name
        <input value={f.name} onChange={set('name')} required />
      </label>
      <label>
        Template
        <select value={f.template} onChange={set('template')} required>
          <option value="">Choose…</option>
          {templates.data?.templates.map((t) => (
            <option key={t.id} value={t.id}>
              {t.name || t.id}
            </option>
          ))}
        </select>
      </label>
      <label>
        Audience
        <select value={f.audience} onChange={set('audience')} required>
          <option value="">Choose…</option>
          <optgroup label="Lists">
            {lists.data?.lists.map((l) => (
              <option key={l.id} value={`list:${l.id}`}>
                {l.name || l.id}
              </option>
            ))}
          </optgroup>
          <optgroup label="Segments">
            {segments.data?.segments.map((s) => (
              <option key={s.id} value={`segment:${s.id}`}>
                {s.name || s.id}
              </option>
            ))}
          </optgroup>
        </select>
      </label>
      <label>
        Topic (empty: any marketing consent)
        <input value={f.topic} onChange={set('topic')} placeholder="newsletter" />
      </label>
      <ErrorMessage error={create.error} />
      <button type="submit" disabled={create.isPending}>
        Create draft
      </button>
    </form>
  );
}
