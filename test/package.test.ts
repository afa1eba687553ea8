// Acceptance 5 of issue 18, what docs/package.md promises: `npm pack` of the working tree holds
// dist/ (JavaScript, declarations, declaration maps), README, LICENSE, CHANGELOG and package.json
// and nothing else; publint (strict) and attw find nothing; the tarball installs into a fresh
// project that imports it, require()s it and type-checks against it under node16 and bundler
// resolution; and loading every module of dist/ changes nothing outside it (`sideEffects: false`).
import { copyFile, mkdir, readFile, symlink, writeFile } from 'node:fs/promises'
import { dirname, join, posix } from 'node:path'
import t from 'tap'
import {
  attempt,
  checkConsumer,
  consumer,
  consumerPackage,
  npmInstall,
  repoRoot,
  sh,
  tempDir,
  typeCheck,
} from './fixtures/npm-consumer.js'

// A build (tsc), a pack, an install from the npm cache and three type-checks: about 30 s on two idle cores.
t.setTimeout(300_000)

// The working tree as a clean clone of it would be (tracked and new files, .gitignore honoured, so
// no dist/ or docs/api/ from an earlier run), packed there: `npm pack` runs `prepare`, the build,
// without touching the repository's own dist/.
const stage = await tempDir(t, 'undici-oauth-stage-')
const listed = (await sh(repoRoot, 'git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard']))
  .split('\0')
  .filter(Boolean)
const sources: string[] = []
for (const path of listed) {
  await mkdir(join(stage, dirname(path)), { recursive: true })
  // A tracked file deleted in the working tree is not part of it.
  const copied = await copyFile(join(repoRoot, path), join(stage, path)).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error
      return false
    },
  )
  if (copied) sources.push(path)
}
await symlink(join(repoRoot, 'node_modules'), join(stage, 'node_modules'), 'dir')
const packDir = await tempDir(t, 'undici-oauth-pack-')
const [packed] = JSON.parse(await sh(stage, 'npm', ['pack', '--json', '--pack-destination', packDir])) as [
  { filename: string },
]
const tarball = join(packDir, packed!.filename)
const shipped = (await sh(packDir, 'tar', ['-tzf', tarball]))
  .split('\n')
  .filter(Boolean)
  .map(entry => entry.replace(/^package\//, ''))
  .sort()
const bin = (name: string) => join(repoRoot, 'node_modules', '.bin', name)

t.test(
  'the tarball holds each module of lib/ compiled, with types and declaration maps, and four files',
  async t => {
    const modules = sources.filter(path => /^lib\/.+\.ts$/.test(path) && !path.endsWith('.d.ts'))
    const compiled = modules.flatMap(path => {
      const base = path.replace(/^lib\//, 'dist/').replace(/\.ts$/, '')
      return [`${base}.js`, `${base}.d.ts`, `${base}.d.ts.map`]
    })
    t.ok(modules.length > 50, `${modules.length} modules in lib/`)
    t.same(
      shipped,
      [...compiled, 'CHANGELOG.md', 'LICENSE', 'README.md', 'package.json'].sort(),
      'exact file list',
    )
  },
)

t.test('every reference inside the tarball lands on a file it holds', async t => {
  const has = new Set(shipped)
  const dangling: string[] = []
  let references = 0
  for (const path of shipped.filter(path => path.startsWith('dist/'))) {
    const text = await readFile(join(stage, path), 'utf8')
    if (path.endsWith('.js') && text.includes('sourceMappingURL='))
      dangling.push(`${path}: a source map comment`)
    if (path.endsWith('.d.ts') && !text.endsWith(`//# sourceMappingURL=${posix.basename(path)}.map`))
      dangling.push(`${path}: no declaration map comment`)
    if (path.endsWith('.d.ts.map')) {
      // A declaration map names the module's source at its place in the repository (go to definition
      // lands there in a clone or a linked folder; without lib/, editors stay on the .d.ts).
      const map = JSON.parse(text) as { file: string; sources: string[] }
      const source = posix.join(posix.dirname(path), map.sources[0]!)
      if (map.file !== posix.basename(path, '.map') || map.sources.length !== 1 || !sources.includes(source))
        dangling.push(`${path}: maps ${map.file} to ${map.sources.join(', ')}`)
      continue
    }
    for (const [, ref] of text.matchAll(/(?:from |import\(|path=)['"](\.{1,2}\/[^'"]+)['"]/g)) {
      references++
      const target = posix.join(posix.dirname(path), ref!)
      if (!has.has(target) && !has.has(target.replace(/\.js$/, '.d.ts'))) dangling.push(`${path} -> ${ref}`)
    }
  }
  t.ok(references > 20, `${references} relative references inside dist/ checked`)
  t.same(dangling, [], 'dist/ refers to nothing the tarball lacks')

  const manifest = JSON.parse(await readFile(join(stage, 'package.json'), 'utf8'))
  const exported = Object.values(manifest.exports as Record<string, string | Record<string, string>>).flatMap(
    target => (typeof target === 'string' ? [target] : Object.values(target)),
  )
  for (const target of [manifest.main, manifest.types, ...exported])
    t.ok(has.has(posix.normalize(target)), `package.json points at ${target}`)
  t.same(
    Object.keys(manifest.dependencies).sort(),
    ['jose', 'p-queue', 'undici'],
    'three runtime dependencies',
  )
  t.equal(manifest.sideEffects, false, 'sideEffects: false')

  t.match(
    await readFile(join(stage, 'LICENSE'), 'utf8'),
    /BSD 3-Clause License\n\nCopyright \(c\) \d{4}, the undici-oauth authors/,
    'LICENSE is the BSD 3-Clause text, copyright the undici-oauth authors',
  )
  // Links in the README are absolute, name a file inside the tarball, or name a guide under docs/
  // in the repository (the guides are not shipped; scripts/check-links.ts checks they resolve).
  const readme = await readFile(join(stage, 'README.md'), 'utf8')
  const relative = [...readme.matchAll(/\]\(([^)#]+)[^)]*\)/g)]
    .map(m => posix.normalize(m[1]!))
    .filter(link => !/^[a-z]+:/i.test(link))
  t.same(
    relative.filter(link => !has.has(link) && !link.startsWith('docs/')),
    [],
    'no README link to a file the tarball lacks, other than the repository guides under docs/',
  )
})

t.test('publint (strict) and attw report nothing', async t => {
  const publint = await attempt(packDir, bin('publint'), ['run', tarball, '--strict'])
  t.match(publint, { code: 0, stdout: /All good!/ }, 'publint: all good, not even a suggestion')
  // The one rule .attw.json ignores is cjs-resolves-to-esm: the package is ES modules only (docs/package.md).
  const ignored = JSON.parse(await readFile(join(repoRoot, '.attw.json'), 'utf8'))
  t.same(ignored, { ignoreRules: ['cjs-resolves-to-esm'] }, 'attw ignores that one rule only')
  const attw = await attempt(packDir, bin('attw'), [tarball, '--config-path', join(repoRoot, '.attw.json')])
  t.match(attw, { code: 0, stdout: /No problems found/ }, 'attw: no problems in any resolution mode')
})

t.test('the tarball installs into a fresh project and works from ESM, CommonJS and TypeScript', async t => {
  // npm 11 lists the package's `prepare` (the build) as an install script of a tarball, though it
  // runs it only for git and folder installs: denied here, which strict-allow-scripts requires.
  const dir = await consumer(t, { 'package.json': consumerPackage({ [`file:${tarball}`]: false }) })
  await sh(dir, 'npm', [...npmInstall, tarball])
  await checkConsumer(t, dir)

  t.equal(await typeCheck(dir, { module: 'node16', files: ['types.mts'] }), '', 'node16: ESM consumer')
  t.equal(
    await typeCheck(dir, { module: 'esnext', moduleResolution: 'bundler', files: ['types.ts'] }),
    '',
    'bundler: ESM consumer',
  )
  // TypeScript's node16 mode predates require(esm): a CommonJS file cannot import the package there,
  // and tsc says why (docs/package.md states it).
  t.match(
    await typeCheck(dir, { module: 'node16', files: ['types.cts'] }),
    /types\.cts\(1,30\): error TS1479: .*ECMAScript module and cannot be imported with 'require'/,
    'node16: a CommonJS consumer gets TS1479',
  )

  // sideEffects: false promises bundlers that loading a module whose exports go unused changes
  // nothing else. Every module of dist/ is loaded after its dependencies (whose own effects are
  // theirs to declare); globals, built-in constructors and prototypes, process properties and
  // listeners, the environment and the output must be as they were, and no asynchronous resource
  // (timer, immediate, microtask, socket...) may be created, apart from the loader's own file reads.
  const modules = shipped.filter(path => path.startsWith('dist/') && path.endsWith('.js'))
  await writeFile(
    join(dir, 'effects.mjs'),
    `import { createHook } from 'node:async_hooks'
const dependencies = ${JSON.stringify(['jose', 'p-queue', 'undici'])}
const modules = ${JSON.stringify(modules)}
function describe(target) {
  return new Map(Reflect.ownKeys(target).map(key => [key, Object.getOwnPropertyDescriptor(target, key)]))
}
function snapshot() {
  const views = { globalThis: describe(globalThis), env: describe(process.env), process: describe(process) }
  for (const [key, { value }] of views.globalThis) {
    if (typeof value !== 'function') continue
    views[String(key)] = describe(value)
    if (value.prototype) views[String(key) + '.prototype'] = describe(value.prototype)
  }
  return { views, listeners: process.eventNames().map(name => String(name) + ' x' + process.listenerCount(name)) }
}
function changed(before, after) {
  const changes = []
  for (const [view, keys] of Object.entries(after.views)) {
    const old = before.views[view] ?? new Map()
    for (const [key, descriptor] of keys) {
      const was = old.get(key)
      const same = was && ['value', 'get', 'set'].every(field => Object.is(was[field], descriptor[field]))
      if (!same) changes.push(view + '.' + String(key))
    }
    for (const key of old.keys()) if (!keys.has(key)) changes.push(view + '.' + String(key) + ' removed')
  }
  return changes
}
for (const name of dependencies) await import(name)
// The package's folder, resolved without loading it (its exports map keeps dist/ files private).
const root = new URL('./node_modules/undici-oauth/', import.meta.url)
const before = snapshot()
const created = []
const hook = createHook({ init(id, type) { if (!/^(PROMISE|FSREQ|FILEHANDLE)/.test(type)) created.push(type) } })
hook.enable()
for (const path of modules) await import(new URL(path, root).href)
hook.disable()
const after = snapshot()
console.log(JSON.stringify({
  loaded: modules.length,
  changed: changed(before, after),
  listeners: [before.listeners, after.listeners],
  created,
}))
`,
  )
  const effects = await attempt(dir, process.execPath, ['effects.mjs'])
  t.match(effects, { code: 0, stderr: '' }, 'loading dist/ printed nothing, warned nothing')
  const report = JSON.parse(effects.stdout) as {
    loaded: number
    changed: string[]
    listeners: [string[], string[]]
    created: string[]
  }
  t.equal(report.loaded, modules.length, `${modules.length} modules loaded`)
  t.same(report.changed, [], 'no global, built-in, process property or environment variable changed')
  t.same(report.listeners[1], report.listeners[0], 'no process listener added')
  t.same(report.created, [], 'no timer, immediate, microtask, socket or other asynchronous resource created')
})
