export { ListsPage } from './routes/ListsPage';
