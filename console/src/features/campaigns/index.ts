export { CampaignsPage } from './routes/CampaignsPage';
export { CampaignPage } from './routes/CampaignPage';
export { CalendarPage } from './routes/CalendarPage';
