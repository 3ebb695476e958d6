export { ImportsPage } from './routes/ImportsPage';
