// Every definition kind the console edits: its page and how to name it.
// A new kind is one entry here and one in app/routes.tsx.
import type { DefinitionKind, Role } from '@/types/api';

export interface KindInfo {
  kind: DefinitionKind;
  label: string;
  noun: string;
  /** Console path: a singleton's page, or a keyed kind's list. */
  path: string;
  singleton: boolean;
  /** The least role that may change it (the API enforces the same). */
  editRole: Role;
  /** Where the repo keeps it. */
  repo: string;
}

export const KINDS: KindInfo[] = [
  { kind: 'forms', label: 'Forms', noun: 'form', path: '/forms', singleton: false, editRole: 'marketer', repo: 'definitions/forms/<id>.json' },
  { kind: 'templates', label: 'Templates', noun: 'template', path: '/templates', singleton: false, editRole: 'marketer', repo: 'definitions/templates/<id>.*' },
  { kind: 'interests', label: 'Interests', noun: 'interest rules', path: '/interests', singleton: true, editRole: 'marketer', repo: 'definitions/interests.json' },
  { kind: 'scoring', label: 'Scoring model', noun: 'scoring model', path: '/scoring', singleton: true, editRole: 'marketer', repo: 'definitions/scoring.json' },
  { kind: 'topics', label: 'Topics', noun: 'topic list', path: '/topics', singleton: true, editRole: 'marketer', repo: 'definitions/topics.json' },
  { kind: 'sending', label: 'Sending settings', noun: 'sending settings', path: '/sending', singleton: true, editRole: 'admin', repo: 'definitions/sending.json' },
];

/** A kind's page; undefined for a kind the API has but no console page edits yet. */
export function kindInfo(kind: DefinitionKind): KindInfo | undefined {
  return KINDS.find((k) => k.kind === kind);
}

/** The console page of one definition (undefined: no page for its kind yet). */
export function pageOf(kind: DefinitionKind, id: string): string | undefined {
  const k = kindInfo(kind);
  if (!k) return undefined;
  return k.singleton ? k.path : `${k.path}/${encodeURIComponent(id)}`;
}
