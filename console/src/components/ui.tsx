import type { ReactNode } from 'react';
import { ApiError } from '@/lib/api-client';

export function ErrorMessage({ error }: { error: unknown }) {
  if (!error) return null;
  const msg = error instanceof Error ? error.message : String(error);
  const forbidden = error instanceof ApiError && error.status === 403;
  return (
    <div role="alert" className={forbidden ? 'notice notice-warn' : 'notice notice-error'}>
      {forbidden ? <strong>Not allowed: </strong> : <strong>Something went wrong: </strong>}
      {msg}
    </div>
  );
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p className="muted" role="status" aria-live="polite">
      {label}
    </p>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <h3>{title}</h3>
      {children && <p>{children}</p>}
    </div>
  );
}

export function PageHeader({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <header className="page-header">
      <h1>{title}</h1>
      {children}
    </header>
  );
}

export function formatDate(iso: string | undefined): string {
  if (!iso || iso.startsWith('0001-')) return '—';
  const d = new Date(iso);
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function StageBadge({ stage }: { stage?: string }) {
  if (!stage) return <span className="badge">no stage</span>;
  return <span className={`badge badge-${stage}`}>{stage.toUpperCase() === stage ? stage : stage}</span>;
}
