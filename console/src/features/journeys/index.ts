export { JourneysPage } from './routes/JourneysPage';
export { JourneyPage } from './routes/JourneyPage';
export { JourneyStepPage } from './routes/JourneyStepPage';
