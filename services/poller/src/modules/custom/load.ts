import { createRequire } from 'node:module';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Collection, CollectRequest, ModuleContext, PluginDescription, PollerModule, SimpleModule } from '../types.js';

export class ModuleLoadError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ModuleLoadError';
  }
}

/**
 * Loads a custom module: a file path (absolute, or relative to the working directory)
 * or a package name resolved from the working directory. The export (`createModule`
 * unless named with `:exportName`, or `default`) is a factory receiving a
 * ModuleContext and returning a PollerModule (`collect`) or a SimpleModule
 * (`getInfo`/`getData`).
 */
export async function loadCustomModule(specifier: string, exportName: string | undefined, context: ModuleContext): Promise<PollerModule> {
  const url = isPathLike(specifier)
    ? pathToFileURL(isAbsolute(specifier) ? specifier : resolve(specifier)).href
    : resolvePackage(specifier);
  let namespace: Record<string, unknown>;
  try {
    namespace = (await import(url)) as Record<string, unknown>;
  } catch (error) {
    throw new ModuleLoadError(`cannot load module ${specifier}: ${(error as Error).message}`, { cause: error });
  }
  const names = exportName ? [exportName] : ['createModule', 'default'];
  const factory = names.map((name) => namespace[name]).find((value) => typeof value === 'function') as
    | ((c: ModuleContext) => unknown)
    | undefined;
  if (!factory) throw new ModuleLoadError(`module ${specifier} exports no function ${names.join(' or ')}`);
  let made: unknown;
  try {
    made = await factory(withOriginalNames(context));
  } catch (error) {
    throw new ModuleLoadError(`module ${specifier} failed to start: ${(error as Error).message}`, { cause: error });
  }
  return adaptModule(specifier, made);
}

/**
 * Custom modules written for earlier releases read the time as `context.now()` and
 * `request.now` (seconds); they keep working next to the named `nowSeconds`.
 */
function withOriginalNames(context: ModuleContext): ModuleContext & { now: () => number } {
  return { ...context, now: context.nowSeconds };
}

function withOriginalRequest(request: CollectRequest): CollectRequest & { now: number } {
  return { ...request, now: request.nowSeconds };
}

function isPathLike(specifier: string): boolean {
  return specifier.startsWith('.') || specifier.startsWith('/') || /\.(m?js|ts)$/.test(specifier);
}

function resolvePackage(specifier: string): string {
  try {
    return pathToFileURL(createRequire(resolve('package.json')).resolve(specifier)).href;
  } catch (error) {
    throw new ModuleLoadError(`cannot find package ${specifier} from ${process.cwd()}: ${(error as Error).message}`, { cause: error });
  }
}

/** Accepts a PollerModule as is; wraps a SimpleModule. */
export function adaptModule(specifier: string, made: unknown): PollerModule {
  const candidate = made as Partial<PollerModule & SimpleModule> | null;
  if (candidate && typeof candidate.collect === 'function') {
    const collect = candidate.collect.bind(candidate);
    return Object.assign(candidate, {
      name: candidate.name ?? specifier,
      collect: (request: CollectRequest) => collect(withOriginalRequest(request)),
    }) as PollerModule;
  }
  if (candidate && typeof candidate.getData === 'function')
    return new SimpleModuleAdapter(candidate.name ?? specifier, candidate as SimpleModule);
  throw new ModuleLoadError(`module ${specifier}: its factory must return an object with collect() or getData()`);
}

class SimpleModuleAdapter implements PollerModule {
  constructor(
    readonly name: string,
    private readonly simple: SimpleModule,
  ) {}

  async collect(_request: CollectRequest): Promise<Collection> {
    // Info is asked every poll: the core publishes it only when due or changed, and it
    // needs the field types to turn counters into rates.
    const info = this.simple.getInfo ? await this.simple.getInfo() : [];
    const plugins: PluginDescription[] = Array.isArray(info) ? info : info.plugins;
    const hosts = Array.isArray(info) ? [] : (info.hosts ?? []);
    return { plugins, hosts, samples: await this.simple.getData() };
  }

  async stop(): Promise<void> {
    await this.simple.stop?.();
  }
}
