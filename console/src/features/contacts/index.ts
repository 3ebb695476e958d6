export { ContactsPage } from './routes/ContactsPage';
export { ContactPage } from './routes/ContactPage';
