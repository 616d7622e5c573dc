/**
 * `[cluster] app`: a built-in application by name, or a user's module by path or package name.
 * Every command that reads the ini loads it before anything starts, so a broken module is one
 * line and exit status 2, never a server that dies once it runs.
 */
import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { appProblem, completeApp, messageOf, type App, type AppDefinition } from './app.js';
import { BUILT_IN_APPS, isBuiltInApp } from './index.js';

/** A module's failure to load or to be an application; `message` is one line. */
export class AppLoadError extends Error {
  override name = 'AppLoadError';
}

const PATH_LIKE = /^(?:\.{1,2}[\\/]|[\\/]|[A-Za-z]:[\\/])|\.(?:[cm]?js|[cm]?ts)$/;

/**
 * The `app` value as the config keeps it: a built-in name as it is; a path made absolute against
 * `baseDir` (the ini file's folder, or the working directory for `--app`); a package name resolved
 * from `baseDir` when it can be (else kept, and imported from steadfast's own location).
 */
export function resolveAppSpec(raw: string, baseDir: string): string {
  if (isBuiltInApp(raw)) return raw;
  if (PATH_LIKE.test(raw)) return resolve(baseDir, raw);
  try {
    return createRequire(join(baseDir, 'noop.js')).resolve(raw);
  } catch {
    return raw;
  }
}

/**
 * The application `spec` names (a value of `resolveAppSpec`). `label` says where it came from
 * (`cluster.ini: [cluster] app`, `--app`), for the error line.
 */
export async function loadApp(spec: string, label: string): Promise<App<any>> {
  if (isBuiltInApp(spec)) return BUILT_IN_APPS[spec]!;
  const fail = (why: string): never => {
    throw new AppLoadError(`${label}: ${spec}: ${why}`);
  };
  if (/\.[cm]?ts$/.test(spec) && !process.execArgv.some((a) => a.includes('tsx'))) {
    fail('a TypeScript module needs compiling first (tsc), then name the .js file');
  }
  let mod: Record<string, unknown>;
  try {
    mod = (await import(isAbsolute(spec) ? pathToFileURL(spec).href : spec)) as Record<string, unknown>;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') fail(`cannot find the module (${firstLine(messageOf(err))})`);
    fail(`the module failed to load: ${firstLine(messageOf(err))}`);
  }
  const candidate = mod!.default ?? mod!.app;
  if (candidate === undefined) fail('the module has no default export and no export named app');
  const problem = appProblem(candidate);
  if (problem !== null) fail(`its export is not an application: ${problem}`);
  const app = completeApp(candidate as AppDefinition<unknown>);
  try {
    // What a replica needs before it takes any request: a first state that survives a snapshot.
    app.snapshot(app.restore(app.snapshot(app.initial())));
  } catch (err) {
    fail(`its initial state does not survive snapshot and restore: ${firstLine(messageOf(err))}`);
  }
  return app;
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.trim();
}
