import { existsSync } from 'node:fs';
import { Resvg } from '@resvg/resvg-js';
import * as echarts from 'echarts';
import type { GraphModel } from '../render/types.js';
import { type ChartSize, chartOption, FONT_FAMILY } from './chart-option.js';

/** Debian's fonts-dejavu-core: resvg draws no text without a font file. */
export const DEFAULT_FONT_FILE = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';

export const SIZE_LIMITS = { minWidth: 200, maxWidth: 4000, minHeight: 120, maxHeight: 3000 };

export class FontMissingError extends Error {
  override name = 'FontMissingError';
}

/** Server-side chart: ECharts SSR to SVG (text escaped by ECharts), then resvg to PNG. */
export function renderSvg(model: GraphModel, size: ChartSize): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: size.width, height: size.height });
  try {
    chart.setOption(chartOption(model, size));
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

export function renderPng(model: GraphModel, size: ChartSize, fontFile = DEFAULT_FONT_FILE): Buffer {
  if (!existsSync(fontFile)) {
    throw new FontMissingError(`font file ${fontFile} not found: install fonts-dejavu-core (PNG export needs it to draw text)`);
  }
  const svg = renderSvg(model, size);
  const resvg = new Resvg(svg, {
    font: { fontFiles: [fontFile], loadSystemFonts: false, defaultFontFamily: FONT_FAMILY, sansSerifFamily: FONT_FAMILY },
    fitTo: { mode: 'original' },
  });
  return resvg.render().asPng();
}
