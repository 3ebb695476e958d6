export { JourneysPage } from './routes/JourneysPage';
export { JourneyPage } from './routes/JourneyPage';
