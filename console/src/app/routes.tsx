// One line per page: a page is a feature folder plus one entry here. Pages
// load lazily, so the first paint carries only the shell and sign-in.
import { lazy } from 'react';
import type { Role } from '@/types/api';

const ContactsPage = lazy(() => import('@/features/contacts').then((m) => ({ default: m.ContactsPage })));
const ContactPage = lazy(() => import('@/features/contacts').then((m) => ({ default: m.ContactPage })));
const UsersPage = lazy(() => import('@/features/users').then((m) => ({ default: m.UsersPage })));
const TemplatesPage = lazy(() => import('@/features/templates').then((m) => ({ default: m.TemplatesPage })));
const TemplatePage = lazy(() => import('@/features/templates').then((m) => ({ default: m.TemplatePage })));
const OverviewPage = lazy(() => import('@/features/overview').then((m) => ({ default: m.OverviewPage })));
const AuditPage = lazy(() => import('@/features/audit').then((m) => ({ default: m.AuditPage })));

export interface PageRoute {
  path: string;
  element: React.ReactNode;
  /** Shown in the navigation when set. */
  label?: string;
  minRole: Role;
}

export const PAGES: PageRoute[] = [
  { path: '/overview', element: <OverviewPage />, label: 'Overview', minRole: 'viewer' },
  { path: '/contacts', element: <ContactsPage />, label: 'Contacts', minRole: 'viewer' },
  { path: '/contacts/:id', element: <ContactPage />, minRole: 'viewer' },
  { path: '/templates', element: <TemplatesPage />, label: 'Templates', minRole: 'viewer' },
  { path: '/templates/:id', element: <TemplatePage />, minRole: 'viewer' },
  { path: '/audit', element: <AuditPage />, label: 'Audit log', minRole: 'viewer' },
  { path: '/users', element: <UsersPage />, label: 'Users', minRole: 'admin' },
];

export const NAV = PAGES.filter((p): p is PageRoute & { label: string } => !!p.label);
