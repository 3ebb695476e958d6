export { OverviewPage } from './routes/OverviewPage';
