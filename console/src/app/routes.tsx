// One line per page: a page is a feature folder plus one entry here. Pages
// load lazily, so the first paint carries only the shell and sign-in.
import { lazy } from 'react';
import type { Role } from '@/types/api';

const ContactsPage = lazy(() => import('@/features/contacts').then((m) => ({ default: m.ContactsPage })));
const ContactPage = lazy(() => import('@/features/contacts').then((m) => ({ default: m.ContactPage })));
const UsersPage = lazy(() => import('@/features/users').then((m) => ({ default: m.UsersPage })));
const TemplatesPage = lazy(() => import('@/features/templates').then((m) => ({ default: m.TemplatesPage })));
const TemplatePage = lazy(() => import('@/features/templates').then((m) => ({ default: m.TemplatePage })));
const SegmentsPage = lazy(() => import('@/features/segments').then((m) => ({ default: m.SegmentsPage })));
const SegmentPage = lazy(() => import('@/features/segments').then((m) => ({ default: m.SegmentPage })));
const ListsPage = lazy(() => import('@/features/lists').then((m) => ({ default: m.ListsPage })));
const OverviewPage = lazy(() => import('@/features/overview').then((m) => ({ default: m.OverviewPage })));
const ImportsPage = lazy(() => import('@/features/imports').then((m) => ({ default: m.ImportsPage })));
const AuditPage = lazy(() => import('@/features/audit').then((m) => ({ default: m.AuditPage })));
// Campaigns (features/campaigns): list, one campaign, calendar of planned sends.
const CampaignsPage = lazy(() => import('@/features/campaigns').then((m) => ({ default: m.CampaignsPage })));
const CampaignPage = lazy(() => import('@/features/campaigns').then((m) => ({ default: m.CampaignPage })));
const CalendarPage = lazy(() => import('@/features/campaigns').then((m) => ({ default: m.CalendarPage })));
// Definitions: every kind is the one editor (features/definitions).
const DefinitionsPage = lazy(() => import('@/features/definitions').then((m) => ({ default: m.DefinitionsPage })));
const FormsPage = lazy(() => import('@/features/definitions').then((m) => ({ default: m.FormsPage })));
const FormPage = lazy(() => import('@/features/definitions').then((m) => ({ default: m.FormPage })));
const ScoringPage = lazy(() => import('@/features/definitions').then((m) => ({ default: m.ScoringPage })));
const TopicsPage = lazy(() => import('@/features/definitions').then((m) => ({ default: m.TopicsPage })));
const InterestsPage = lazy(() => import('@/features/definitions').then((m) => ({ default: m.InterestsPage })));
const SendingPage = lazy(() => import('@/features/definitions').then((m) => ({ default: m.SendingPage })));
// Journeys (issue 15): the list and the map (its drawing library loads only there).
const JourneysPage = lazy(() => import('@/features/journeys').then((m) => ({ default: m.JourneysPage })));
const JourneyPage = lazy(() => import('@/features/journeys').then((m) => ({ default: m.JourneyPage })));
// The contacts at a step (the map's drill-down).
const JourneyStepPage = lazy(() => import('@/features/journeys').then((m) => ({ default: m.JourneyStepPage })));

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
  { path: '/segments', element: <SegmentsPage />, label: 'Segments', minRole: 'viewer' },
  { path: '/segments/:id', element: <SegmentPage />, minRole: 'viewer' },
  { path: '/lists', element: <ListsPage />, label: 'Lists', minRole: 'viewer' },
  { path: '/imports', element: <ImportsPage />, label: 'Imports', minRole: 'viewer' },
  { path: '/forms', element: <FormsPage />, label: 'Forms', minRole: 'viewer' },
  { path: '/forms/:id', element: <FormPage />, minRole: 'viewer' },
  { path: '/scoring', element: <ScoringPage />, label: 'Scoring model', minRole: 'viewer' },
  { path: '/topics', element: <TopicsPage />, label: 'Topics', minRole: 'viewer' },
  { path: '/interests', element: <InterestsPage />, label: 'Interests', minRole: 'viewer' },
  { path: '/sending', element: <SendingPage />, label: 'Sending settings', minRole: 'viewer' },
  { path: '/campaigns', element: <CampaignsPage />, label: 'Campaigns', minRole: 'viewer' },
  { path: '/campaigns/:id', element: <CampaignPage />, minRole: 'viewer' },
  { path: '/calendar', element: <CalendarPage />, label: 'Calendar', minRole: 'viewer' },
  { path: '/definitions', element: <DefinitionsPage />, label: 'Definitions', minRole: 'viewer' },
  { path: '/journeys', element: <JourneysPage />, label: 'Journeys', minRole: 'viewer' },
  { path: '/journeys/:id', element: <JourneyPage />, minRole: 'viewer' },
  { path: '/journeys/:id/steps/:step', element: <JourneyStepPage />, minRole: 'viewer' },
  { path: '/audit', element: <AuditPage />, label: 'Audit log', minRole: 'viewer' },
  { path: '/users', element: <UsersPage />, label: 'Users', minRole: 'admin' },
];

export const NAV = PAGES.filter((p): p is PageRoute & { label: string } => !!p.label);
