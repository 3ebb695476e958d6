// The x span of uPlot's time charts.

/**
 * The time axis's span (Unix seconds) for points from min to max (the
 * data's, not uPlot's: for a single point uPlot has already widened them
 * to 1,000 days, 86400 divided by its 1e-3 ms factor, and the axis reads
 * "2027 ... 2029"). A span under a day is widened to one day centred on
 * the points.
 */
export function timeRange(min: number, max: number): [number, number] {
  const day = 86_400;
  if (max - min >= day) return [min, max];
  const mid = (min + max) / 2;
  return [mid - day / 2, mid + day / 2];
}
