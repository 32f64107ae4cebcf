// The browser loads uPlot from node_modules through the pages router (`/app/client/vendor/uplot.js`
// → uplot/dist/uPlot.esm.js): a relative import, as inline import maps would break our CSP.
import uPlot from 'uplot';
export default uPlot;
