/**
 * Server-side charts (ECharts SSR → SVG → resvg PNG) in worker threads, shared by the
 * webapp's exports and the storage's `/render?format=png`: one renderer, one pool with its
 * concurrency/queue/time limits, one set of size and point limits.
 */
export { chartOption, FONT_FAMILY, legendRows } from './src/chart-option.js';
export { ChartError, FontMissingError, PngBusyError, PngLimitError, PngTimeoutError, PngWorkerError } from './src/errors.js';
export type { Base, ChartModel, ChartPalette, ChartSeries, ChartSize, ChartStats, ChartThreshold, Theme } from './src/model.js';
export { chartOnly } from './src/model.js';
export { DEFAULT_FONT_FILE, renderPng, renderSvg } from './src/png.js';
export { checkPngCost, downsampleToWidth, PNG_LIMITS, SIZE_LIMITS } from './src/png-limits.js';
export { DEFAULT_PNG_POOL, type PngPoolOptions, PngRenderPool } from './src/png-pool.js';
export { formatValue } from './src/units.js';
