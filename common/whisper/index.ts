/**
 * numeter's Graphite Whisper (.wsp) library: byte-compatible with graphite-project/whisper 1.1.x.
 * See docs/whisper.md for the API, the CLI and every deliberate divergence from the reference.
 */

export { aggregate } from './src/aggregate.js';
export {
  createFile as create,
  dump,
  fetch,
  info,
  setAggregationMethod,
  setXFilesFactor,
  update,
  updateMany,
} from './src/api.js';
export {
  CorruptWhisperFileError,
  InvalidAggregationMethodError,
  InvalidConfigurationError,
  InvalidTimeIntervalError,
  InvalidXFilesFactorError,
  TimestampNotCoveredError,
  WhisperError,
} from './src/errors.js';
export { aggregationMethods } from './src/header.js';
export { diff, merge } from './src/merge-diff.js';
export { parseRetentionDef, parseRetentionDefs, unitSeconds, validateArchiveList } from './src/retention.js';
export type {
  AggregationMethod,
  ArchiveDiff,
  ArchiveInfo,
  ArchiveSpec,
  CreateOptions,
  DiffPoint,
  FetchResult,
  WhisperInfo,
} from './src/types.js';
export { WhisperWriter, type WhisperWriterOptions, type WhisperWriterStats } from './src/writer.js';
