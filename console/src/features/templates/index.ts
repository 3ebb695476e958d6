export { TemplatesPage } from './routes/TemplatesPage';
export { TemplatePage } from './routes/TemplatePage';
