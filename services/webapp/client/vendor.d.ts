// uPlot is served by the pages router at /vendor/uplot.esm.js (no bundler, no import map:
// inline import maps would need 'unsafe-inline' under our CSP).
declare module '/vendor/uplot.esm.js' {
  import uPlot from 'uplot';
  export default uPlot;
}
