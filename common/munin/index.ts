/**
 * Munin's own formats, shared by the poller (central polling) and the storage
 * (`import-munin`): how a graph's config becomes a plugin description, and munin.conf.
 */

export { filesSignature, type HangupSource, MuninConfWatch, processHangup, type WatchedFiles } from './src/conf-watch.js';
export { describeSection, fieldInfoOf, type MuninGraph, type MuninGraphDescription } from './src/describe.js';
export { applyGraphOverrides, graphOverrides, type MuninGraphOverride, overridesByPlugin } from './src/graph-overrides.js';
export { defaultGroup, type MuninConf, type MuninConfNode, readMuninConf } from './src/munin-conf.js';
export type { MuninContact, MuninSeverity, MuninThresholdOverride } from './src/munin-conf-alerts.js';
