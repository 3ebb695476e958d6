export { SegmentsPage } from './routes/SegmentsPage';
export { SegmentPage } from './routes/SegmentPage';
