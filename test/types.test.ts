/**
 * Issue 12, acceptance 3: TypeScript rejects each typed mistake (test/types/mistakes.ts, one
 * `@ts-expect-error` per mistake) and compiles the README's snippets (test/types/readme.ts), both
 * under strict + exactOptionalPropertyTypes against the declarations the package ships.
 */
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const root = fileURLToPath(new URL('..', import.meta.url))
const tsc = `${root}node_modules/.bin/tsc`

function run(args: string[]): { status: number | null; output: string } {
  const result = spawnSync(tsc, args, { cwd: root, encoding: 'utf8', timeout: 120_000 })
  return { status: result.status, output: `${result.stdout}${result.stderr}` }
}

t.test('the typed mistakes fail to compile and the README snippets compile', async t => {
  const declarations = run([
    '-p',
    'tsconfig.build.json',
    '--emitDeclarationOnly',
    '--declarationMap',
    'false',
    '--outDir',
    'build/types-lib',
  ])
  t.same(declarations, { status: 0, output: '' }, 'declarations built')
  t.same(run(['--noEmit', '-p', 'test/types/tsconfig.json']), { status: 0, output: '' })
})
