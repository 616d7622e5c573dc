/**
 * The package as a user gets it: `npm pack`, installed from the tarball into a scratch project
 * outside the repository, whose TypeScript program imports `steadfast` and `steadfast/client` by
 * name, type-checks against the shipped declarations, and runs against a `kv` cluster.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { killAllAndCheck, ROOT, startRole, tempDir, waitForLine, writeConfig } from '../support/processes.js';

const PROGRAM = `import { connect, TimeoutError, type Client } from 'steadfast/client';
import { defineApp, type App } from 'steadfast';

// Type-checked only: a user's app with its state type carried through.
const counter: App<{ n: number }> = defineApp({
  name: 'counter',
  initial: () => ({ n: 0 }),
  apply: (state, request: string) => ({ state: { n: state.n + Number(request) }, reply: String(state.n + Number(request)) }),
});

const config = process.argv[2]!;
const client: Client = await connect({ config, name: 'pack-1' });
try {
  const put = await client.request(JSON.stringify({ op: 'put', key: 'x', value: 'packed' }), { timeoutMs: 10000 });
  const got = await client.request(JSON.stringify({ op: 'get', key: 'x' }), { timeoutMs: 10000 });
  console.log(JSON.stringify({ put, got, app: counter.name, timeout: TimeoutError.name }));
} finally {
  await client.close();
}
`;

function run(cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
}

describe('e2e: the packed package in a scratch project', function () {
  this.timeout(240_000);
  afterEach(killAllAndCheck);

  it('installs from its tarball, type-checks an import of steadfast/client, and runs against a cluster', async () => {
    const packDir = tempDir();
    // dist/ is built already (the test command builds it first); packing need not build again.
    run('npm', ['pack', '--ignore-scripts', '--pack-destination', packDir], ROOT);
    const tarball = path.join(packDir, readdirSync(packDir).find((f) => f.endsWith('.tgz'))!);

    const project = path.join(tempDir(), 'scratch');
    mkdirSync(project);
    writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'scratch', private: true, type: 'module' }));
    run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], project);
    writeFileSync(path.join(project, 'main.ts'), PROGRAM);
    writeFileSync(path.join(project, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: true,
        // The scratch project borrows the repository's compiler and Node types instead of installing them.
        typeRoots: [path.join(ROOT, 'node_modules', '@types')], types: ['node'],
      },
      files: ['main.ts'],
    }));
    run(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], project);

    const cluster = await writeConfig({ cluster: { mode: 'passive', app: 'kv' } });
    const role = (args: string[]) => startRole([...args, '--config', cluster.file], { cwd: cluster.dir });
    const rm = role(['rm']);
    role(['gfd']);
    for (let i = 1; i <= 3; i++) role(['lfd', '--name', `LFD${i}`]);
    await waitForLine(rm, /RM: primary is S\d/, 20_000);

    const out = JSON.parse(run(process.execPath, ['main.js', cluster.file], project).trim()) as Record<string, string>;
    expect(out).to.deep.equal({ put: '{"ok":true}', got: '{"ok":true,"value":"packed"}', app: 'counter', timeout: 'TimeoutError' });
  });
});
