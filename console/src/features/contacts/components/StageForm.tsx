import { useState, type FormEvent } from 'react';
import { useChangeStage } from '../api/contacts';
import { ErrorMessage } from '@/components/ui';
import { STAGES, type Stage } from '@/types/api';

export function StageForm({ contactId, current }: { contactId: string; current?: string }) {
  const [stage, setStage] = useState<Stage>((current as Stage) || 'lead');
  const [reason, setReason] = useState('');
  const m = useChangeStage(contactId);
  function submit(e: FormEvent) {
    e.preventDefault();
    m.mutate({ stage, reason: reason.trim() }, { onSuccess: () => setReason('') });
  }
  return (
    <form className="stack" onSubmit={submit} aria-label="Change stage">
      <label>
        New stage
        <select value={stage} onChange={(e) => setStage(e.target.value as Stage)}>
          {STAGES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      <label>
        Reason
        <input value={reason} onChange={(e) => setReason(e.target.value)} placeholder="Booked a demo call" required />
      </label>
      <button type="submit" disabled={m.isPending}>
        {m.isPending ? 'Saving…' : 'Change stage'}
      </button>
      <ErrorMessage error={m.error} />
      {m.isSuccess && (
        <p role="status" className="notice notice-ok">
          Stage changed to {m.data.stage}.
        </p>
      )}
    </form>
  );
}
