import { useId, useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { useErase, useExport, useUnsubscribe } from '../api/contacts';
import { ErrorMessage } from '@/components/ui';
import { useCan } from '@/lib/session';
import type { Contact } from '@/types/api';

/**
 * Unsubscribe, export and erase, offered by role: viewers get none (an
 * export is personal data), marketers and admins all three. The API
 * enforces the same table.
 */
export function ContactActions({ contact }: { contact: Contact }) {
  const canWrite = useCan('marketer');
  if (!canWrite) return <p className="muted small">Viewers cannot unsubscribe, export or erase contacts.</p>;
  return (
    <>
      <Unsubscribe contact={contact} />
      <Export contactId={contact.id} />
      <Erase contact={contact} />
    </>
  );
}

function Unsubscribe({ contact }: { contact: Contact }) {
  const m = useUnsubscribe(contact.id);
  if (contact.status === 'unsubscribed') return <p className="muted small">Unsubscribed from marketing email.</p>;
  return (
    <div className="stack">
      <div className="actions">
        <button type="button" onClick={() => m.mutate()} disabled={m.isPending}>
          {m.isPending ? 'Unsubscribing…' : 'Unsubscribe from marketing email'}
        </button>
      </div>
      <ErrorMessage error={m.error} />
    </div>
  );
}

function Export({ contactId }: { contactId: string }) {
  const m = useExport(contactId);
  return (
    <div className="stack">
      <div className="actions">
        <button type="button" onClick={() => m.mutate()} disabled={m.isPending}>
          {m.isPending ? 'Exporting…' : 'Export as JSON'}
        </button>
      </div>
      <ErrorMessage error={m.error} />
      {m.isSuccess && (
        <p role="status" className="notice notice-ok">
          Export downloaded as contact-{contactId}.json.
        </p>
      )}
    </div>
  );
}

/** Erasure asks for the contact's email (its id when anonymous) to be typed. */
function Erase({ contact }: { contact: Contact }) {
  const expected = contact.email || contact.id;
  const [typed, setTyped] = useState('');
  const m = useErase(contact.id);
  const navigate = useNavigate();
  const hint = useId();
  const matches = typed.trim().toLowerCase() === expected.toLowerCase();
  function submit(e: FormEvent) {
    e.preventDefault();
    if (!matches) return;
    m.mutate(undefined, { onSuccess: () => navigate('/contacts', { replace: true }) });
  }
  return (
    <form className="stack" onSubmit={submit} aria-label="Erase contact">
      <p id={hint} className="small">
        Erasing deletes this contact, the contacts merged into it, their identities and their timeline. It cannot be undone.
      </p>
      <label>
        Type {expected} to confirm
        <input value={typed} onChange={(e) => setTyped(e.target.value)} autoComplete="off" spellCheck={false} aria-describedby={hint} />
      </label>
      <div className="actions">
        <button type="submit" className="danger" disabled={!matches || m.isPending}>
          {m.isPending ? 'Erasing…' : 'Erase contact'}
        </button>
      </div>
      <ErrorMessage error={m.error} />
    </form>
  );
}
