import { useState, type FormEvent } from 'react';
import { useAddTag } from '../api/contacts';
import { ErrorMessage } from '@/components/ui';

export function TagForm({ contactId }: { contactId: string }) {
  const [tag, setTag] = useState('');
  const m = useAddTag(contactId);
  function submit(e: FormEvent) {
    e.preventDefault();
    m.mutate(tag.trim(), { onSuccess: () => setTag('') });
  }
  return (
    <form className="inline-form" onSubmit={submit} aria-label="Add a tag">
      <label>
        Add a tag
        <input value={tag} onChange={(e) => setTag(e.target.value)} placeholder="webinar-2026" required />
      </label>
      <button type="submit" disabled={m.isPending}>
        Add
      </button>
      <ErrorMessage error={m.error} />
    </form>
  );
}
