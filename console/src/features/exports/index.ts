export { ExportButtons } from './components/ExportButtons';
