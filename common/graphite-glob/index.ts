/**
 * Graphite's glob language for one name (a path node, a rule's host, plugin or field),
 * matched by an automaton with size limits and an optional work budget: the storage's
 * find/render API and the alerting engine's pattern rules share it (docs/api.md, docs/alerting.md).
 */
export { compileGlob, GLOB_LIMITS, type Glob, GlobError, type GlobOptions } from './src/glob.js';
