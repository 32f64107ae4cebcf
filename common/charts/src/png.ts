import { existsSync } from 'node:fs';
import { Resvg } from '@resvg/resvg-js';
import * as echarts from 'echarts';
import { chartOption, FONT_FAMILY } from './chart-option.js';
import { FontMissingError } from './errors.js';
import type { ChartModel, ChartSize } from './model.js';

/** Debian's fonts-dejavu-core: resvg draws no text without a font file. */
export const DEFAULT_FONT_FILE = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';

/** Server-side chart: ECharts SSR to SVG (text escaped by ECharts), then resvg to PNG. */
export function renderSvg(model: ChartModel, size: ChartSize): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: size.width, height: size.height });
  try {
    chart.setOption(chartOption(model, size));
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

export function renderPng(model: ChartModel, size: ChartSize, fontFile = DEFAULT_FONT_FILE): Buffer {
  if (!existsSync(fontFile)) {
    throw new FontMissingError(`font file ${fontFile} not found: install fonts-dejavu-core (PNG rendering needs it to draw text)`);
  }
  const svg = renderSvg(model, size);
  const resvg = new Resvg(svg, {
    font: { fontFiles: [fontFile], loadSystemFonts: false, defaultFontFamily: FONT_FAMILY, sansSerifFamily: FONT_FAMILY },
    fitTo: { mode: 'original' },
  });
  return resvg.render().asPng();
}
