/** Charts for the HTML report and email: SVG sparklines, rendered to PNG with the bundled font. */
export { sparklineSvg, sparklineSize, escapeXml, type SparklineOptions } from './sparkline';
export { deployBarsSvg, deployBarsSize, type DeployBarsOptions } from './bars';
export { svgToPng, bundledFontFile, bundledFontFamily, type PngOptions } from './png';

import type { ChartData, Episode } from '../../report/types';
import { sparklineSvg, type SparklineOptions } from './sparkline';
import { svgToPng } from './png';

/** A sparkline as PNG bytes (2× for retina), or null when there is nothing to draw. */
export function sparklinePng(
  chart: ChartData,
  episodes: readonly Episode[],
  options: SparklineOptions & { scale?: number },
): Buffer | null {
  const svg = sparklineSvg(chart, episodes, options);
  return svg === null ? null : svgToPng(svg, { scale: options.scale ?? 2 });
}
