import { readFileSync } from 'node:fs';
import { parseIni } from '../../../../common/config/index.js';
import {
  type AggregationMethod,
  type ArchiveSpec,
  aggregationMethods,
  parseRetentionDefs,
  validateArchiveList,
} from '../../../../common/whisper/index.js';

/**
 * Which archives and aggregation a new `.wsp` file gets, chosen like carbon's
 * storage-schemas.conf and storage-aggregation.conf: sections in file order, each with a
 * `pattern` (a regular expression searched in `<plugin>.<ds>`); the first match wins.
 *
 *   [munin_fast]                          [maxima]
 *   pattern = ^if_                        pattern = \.max$
 *   retentions = 10s:1d,60s:7d,1h:1y      xFilesFactor = 0.1
 *                                         aggregationMethod = max
 *
 * Without a match (or without files) a file gets the original Numeter's archives
 * (60:1440, 300:2016, 600:4608, 3600:8784), average, xFilesFactor 0.5. Rules only apply to
 * files created from now on; existing files keep what they were created with.
 */
export const ORIGINAL_ARCHIVES: readonly ArchiveSpec[] = [
  { secondsPerPoint: 60, points: 1440 },
  { secondsPerPoint: 300, points: 2016 },
  { secondsPerPoint: 600, points: 4608 },
  { secondsPerPoint: 3600, points: 8784 },
];

export interface SeriesSchema {
  archives: readonly ArchiveSpec[];
  aggregationMethod: AggregationMethod;
  xFilesFactor: number;
  /** Seconds the longest archive covers: older points cannot be stored. */
  maxRetention: number;
}

interface RetentionRule {
  name: string;
  pattern: RegExp;
  archives: ArchiveSpec[];
}

interface AggregationRule {
  name: string;
  pattern: RegExp;
  aggregationMethod?: AggregationMethod;
  xFilesFactor?: number;
}

export class RetentionRulesError extends Error {
  constructor(
    readonly problems: string[],
    options?: { cause?: unknown },
  ) {
    super(`invalid retention rules:\n  - ${problems.join('\n  - ')}`, options);
    this.name = 'RetentionRulesError';
  }
}

export class RetentionRules {
  private readonly memo = new Map<string, SeriesSchema>();

  constructor(
    private readonly retentions: RetentionRule[] = [],
    private readonly aggregations: AggregationRule[] = [],
  ) {}

  static fromFiles(schemasFile: string, aggregationFile: string): RetentionRules {
    const problems: string[] = [];
    const retentions = schemasFile ? parseRetentionRules(readText(schemasFile), schemasFile, problems) : [];
    const aggregations = aggregationFile ? parseAggregationRules(readText(aggregationFile), aggregationFile, problems) : [];
    if (problems.length) throw new RetentionRulesError(problems);
    return new RetentionRules(retentions, aggregations);
  }

  /** The schema for a new file of `plugin`/`ds`. Memoised: rules never change at run time. */
  schemaFor(plugin: string, ds: string): SeriesSchema {
    const name = `${plugin}.${ds}`;
    let schema = this.memo.get(name);
    if (!schema) {
      const archives = this.retentions.find((r) => r.pattern.test(name))?.archives ?? ORIGINAL_ARCHIVES;
      const agg = this.aggregations.find((r) => r.pattern.test(name));
      schema = {
        archives,
        aggregationMethod: agg?.aggregationMethod ?? 'average',
        xFilesFactor: agg?.xFilesFactor ?? 0.5,
        maxRetention: Math.max(...archives.map((a) => a.secondsPerPoint * a.points)),
      };
      if (this.memo.size > 100_000) this.memo.clear();
      this.memo.set(name, schema);
    }
    return schema;
  }
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new RetentionRulesError([`cannot read ${file}: ${(error as Error).message}`], { cause: error });
  }
}

function compile(source: string, section: string, value: string | undefined, problems: string[]): RegExp | null {
  if (value === undefined) {
    problems.push(`${source} [${section}]: pattern is missing`);
    return null;
  }
  try {
    return new RegExp(value);
  } catch (error) {
    problems.push(`${source} [${section}]: pattern ${JSON.stringify(value)}: ${(error as Error).message}`);
    return null;
  }
}

export function parseRetentionRules(text: string, source: string, problems: string[]): RetentionRule[] {
  const rules: RetentionRule[] = [];
  for (const [name, keys] of Object.entries(parseIni(text, source))) {
    const pattern = compile(source, name, keys.pattern, problems);
    try {
      const archives = parseRetentionDefs(keys.retentions ?? '');
      validateArchiveList(archives);
      if (pattern) rules.push({ name, pattern, archives });
    } catch (error) {
      problems.push(`${source} [${name}]: retentions: ${(error as Error).message}`);
    }
  }
  return rules;
}

export function parseAggregationRules(text: string, source: string, problems: string[]): AggregationRule[] {
  const rules: AggregationRule[] = [];
  for (const [name, keys] of Object.entries(parseIni(text, source))) {
    const pattern = compile(source, name, keys.pattern, problems);
    const rule: AggregationRule = { name, pattern: pattern ?? /$^/ };
    const method = keys.aggregationmethod;
    if (method !== undefined) {
      if ((aggregationMethods as readonly string[]).includes(method)) rule.aggregationMethod = method as AggregationMethod;
      else problems.push(`${source} [${name}]: aggregationMethod ${JSON.stringify(method)} is not one of ${aggregationMethods.join(', ')}`);
    }
    const xff = keys.xfilesfactor;
    if (xff !== undefined) {
      const n = Number(xff);
      if (xff.trim() !== '' && n >= 0 && n <= 1) rule.xFilesFactor = n;
      else problems.push(`${source} [${name}]: xFilesFactor ${JSON.stringify(xff)} is not a number in [0, 1]`);
    }
    if (pattern) rules.push(rule);
  }
  return rules;
}
