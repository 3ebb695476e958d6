export { DefinitionsPage } from './routes/DefinitionsPage';
export { FormsPage, FormPage, ScoringPage, TopicsPage, InterestsPage, SendingPage } from './routes/pages';
