// Acceptance 1 of issue 12: the package installs from a clone of this repository, as the README's
// Install section says, into a fresh project that then imports it and makes a real call.
// The clone is of HEAD, so this test covers what is committed, not uncommitted changes in the working
// tree (CI runs on a fresh clone, where the two are the same).
import { execFile } from 'node:child_process'
import { lstat, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, posix } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import t, { type Test } from 'tap'

const run = promisify(execFile)
const repoRoot = fileURLToPath(new URL('..', import.meta.url))

// A git install runs `npm install` of every devDependency in a temporary clone before `prepare`
// builds; with npm's cache warm the whole file takes about a minute, on a busy machine several.
t.setTimeout(600_000)

// Child npm processes must not inherit the settings of an enclosing `npm test` (npm_config_*,
// npm_package_*, npm_lifecycle_*), which would describe this repository rather than the consumer.
const childEnv = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !/^(npm_|INIT_CWD$)/i.test(name)),
)

async function sh(cwd: string, file: string, args: string[]): Promise<string> {
  const { stdout } = await run(file, args, { cwd, env: childEnv, maxBuffer: 16 * 1024 * 1024 })
  return stdout
}

// Installs that npm 11 must not let through with a notice only: the consumer approves undici-oauth's
// `prepare` in `allowScripts` (the README says so) and strict mode turns anything unapproved into an error.
const npmInstall = ['install', '--prefer-offline', '--strict-allow-scripts', '--no-audit', '--no-fund']

async function tempDir(t: Test, prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

const clone = await tempDir(t, 'undici-oauth-clone-')
const head = (await sh(repoRoot, 'git', ['rev-parse', 'HEAD'])).trim()
await sh(repoRoot, 'git', ['clone', '--quiet', '--no-hardlinks', '--no-checkout', repoRoot, clone])
await sh(clone, 'git', ['checkout', '--quiet', '--detach', head])
// The folder install packs the clone after running its `prepare` there, which needs the clone's
// devDependencies: the README has the user run `npm ci` in the clone; this repository's own
// node_modules, installed from the same lockfile, stands in for that.
await symlink(join(repoRoot, 'node_modules'), join(clone, 'node_modules'), 'dir')

// What the consumer runs: a token endpoint and a resource on loopback, an OAuth2Client that obtains
// a client-credentials token there and uses it, once through its own get() and once through the
// consumer's own undici with the client's dispatcher (a consumer's `undici` must resolve too).
const consumerScript = `
import { once } from 'node:events'
import { createServer } from 'node:http'
import { request } from 'undici'
import { OAuth2Client } from 'undici-oauth'

const seen = []
const server = createServer((req, res) => {
  let body = ''
  req.on('data', chunk => { body += chunk })
  req.on('end', () => {
    seen.push(req.method + ' ' + req.url)
    res.setHeader('content-type', 'application/json')
    if (req.url === '/token') {
      const basic = 'Basic ' + Buffer.from('app:s3cret').toString('base64')
      const ok = req.headers.authorization === basic && new URLSearchParams(body).get('grant_type') === 'client_credentials'
      res.statusCode = ok ? 200 : 401
      res.end(JSON.stringify(ok ? { access_token: 'tok-1', token_type: 'Bearer', expires_in: 3600 } : { error: 'invalid_client' }))
      return
    }
    res.end(JSON.stringify({ authorization: req.headers.authorization ?? null }))
  })
})
server.listen(0, '127.0.0.1')
await once(server, 'listening')
const origin = 'http://127.0.0.1:' + server.address().port
const client = new OAuth2Client({ clientId: 'app', clientSecret: 's3cret', tokenEndpoint: origin + '/token' })
try {
  const token = await client.fetchToken()
  const viaClient = await client.get(origin + '/me')
  const viaUndici = await request(origin + '/undici', { dispatcher: client.dispatcher })
  console.log(JSON.stringify({
    accessToken: token.access_token,
    viaClient: { status: viaClient.statusCode, body: await viaClient.body.json() },
    viaUndici: { status: viaUndici.statusCode, body: await viaUndici.body.json() },
    seen,
  }))
} finally {
  await client.close()
  server.close()
}
`

const expectedCall = {
  accessToken: 'tok-1',
  viaClient: { status: 200, body: { authorization: 'Bearer tok-1' } },
  viaUndici: { status: 200, body: { authorization: 'Bearer tok-1' } },
  seen: ['POST /token', 'GET /me', 'GET /undici'],
}

// require() from CommonJS gets the same ES module (Node >= 20.19 loads ES modules without top-level
// await through require), not a second copy.
const requireScript = `
const viaRequire = require('undici-oauth')
import('undici-oauth').then(viaImport => {
  console.log(JSON.stringify({ type: typeof viaRequire.OAuth2Client, same: viaRequire.OAuth2Client === viaImport.OAuth2Client }))
})
`

// TypeScript resolves the package's types from ESM and from CommonJS files; the @ts-expect-error
// lines fail the check if the types were missing (any) instead of the package's own.
const typesEsm = `import { OAuth2Client } from 'undici-oauth'
const client = new OAuth2Client({ clientId: 'app', tokenEndpoint: 'https://as.example/token' })
const status: number = (await client.get('https://api.example/me')).statusCode
// @ts-expect-error statusCode is a number
const wrong: string = (await client.get('https://api.example/me')).statusCode
export { status, wrong }
`
const typesCjs = `import { OAuth2Client } from 'undici-oauth'
// @ts-expect-error clientId is a string
export const client = new OAuth2Client({ clientId: 1, tokenEndpoint: 'https://as.example/token' })
`

async function consumer(t: Test, files: Record<string, string>): Promise<string> {
  const dir = await tempDir(t, 'undici-oauth-consumer-')
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text)
  return dir
}

function consumerPackage(allowed: string): string {
  return JSON.stringify({
    name: 'consumer',
    private: true,
    type: 'module',
    allowScripts: { [allowed]: true },
  })
}

async function checkConsumer(t: Test, dir: string): Promise<void> {
  const installed = await lstat(join(dir, 'node_modules', 'undici-oauth'))
  t.notOk(installed.isSymbolicLink(), 'installed as a copy, not a symlink into the clone')
  t.ok(
    (await lstat(join(dir, 'node_modules', 'undici'))).isDirectory(),
    "undici is the consumer's own dependency",
  )

  await writeFile(join(dir, 'call.mjs'), consumerScript)
  t.same(JSON.parse(await sh(dir, process.execPath, ['call.mjs'])), expectedCall, 'import and one real call')

  await writeFile(join(dir, 'call.cjs'), requireScript)
  t.same(
    JSON.parse(await sh(dir, process.execPath, ['call.cjs'])),
    { type: 'function', same: true },
    'require()',
  )
  // Node before 20.19 has no require(esm); its own error names import(), as the README says.
  const noRequireEsm = await run(process.execPath, ['--no-experimental-require-module', 'call.cjs'], {
    cwd: dir,
    env: childEnv,
  }).catch((error: { stderr: string }) => error)
  t.match(
    noRequireEsm,
    { stderr: /ERR_REQUIRE_ESM[\s\S]*import\(\)/ },
    'without require(esm), Node names import()',
  )
}

// Types are the same files whichever way the package came in: checked once. skipLibCheck leaves the
// consistency of the .d.ts files to the repository's own type-check; an unresolved import would still
// be an error (TS7016 under strict), and a resolved `any` would trip the @ts-expect-error lines.
async function checkTypes(t: Test, dir: string): Promise<void> {
  await writeFile(join(dir, 'types.mts'), typesEsm)
  await writeFile(join(dir, 'types.cts'), typesCjs)
  const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc')
  const typeRoots = join(repoRoot, 'node_modules', '@types')
  const options = [
    '--noEmit',
    '--strict',
    '--exactOptionalPropertyTypes',
    '--skipLibCheck',
    '--module',
    'nodenext',
  ]
  const environment = ['--target', 'es2022', '--types', 'node', '--typeRoots', typeRoots]
  const errors = await run(process.execPath, [tsc, ...options, ...environment, 'types.mts', 'types.cts'], {
    cwd: dir,
    env: childEnv,
  })
    .then(() => '')
    .catch((error: { stdout: string }) => error.stdout)
  t.equal(errors, '', 'types resolve from .mts and .cts under strict')
}

t.test('npm install git+file://<clone> builds through prepare and works', async t => {
  const spec = `git+file://${clone}`
  const dir = await consumer(t, { 'package.json': consumerPackage(spec) })
  await sh(dir, 'npm', [...npmInstall, spec])
  await checkConsumer(t, dir)
  await checkTypes(t, dir)
})

t.test('npm install <clone folder> with install-links packs it and works', async t => {
  const dir = await consumer(t, {
    'package.json': consumerPackage(`file:${clone}`),
    '.npmrc': 'install-links=true\n',
  })
  await sh(dir, 'npm', [...npmInstall, clone])
  await checkConsumer(t, dir)
})

t.test('the tarball ships LICENSE, every file it points at, and no source it lacks', async t => {
  const [pack] = JSON.parse(await sh(clone, 'npm', ['pack', '--dry-run', '--json'])) as [
    { files: { path: string }[] },
  ]
  const shipped = new Set(pack.files.map(file => file.path))
  t.ok(shipped.has('LICENSE'), 'LICENSE')
  t.match(
    await readFile(join(clone, 'LICENSE'), 'utf8'),
    /BSD 3-Clause License\n\nCopyright \(c\) \d{4}, the undici-oauth authors/,
    'LICENSE is the BSD 3-Clause text, copyright the undici-oauth authors',
  )
  t.notOk(
    [...shipped].some(path => !/^(dist\/.+\.(js|d\.ts)|LICENSE|README\.md|package\.json)$/.test(path)),
    'only compiled modules, their types, LICENSE, README and package.json',
  )

  const manifest = JSON.parse(await readFile(join(clone, 'package.json'), 'utf8'))
  const targets = [manifest.main, manifest.types, ...Object.values(manifest.exports['.'] as object)]
  for (const target of targets) t.ok(shipped.has(posix.normalize(target)), `package.json points at ${target}`)

  // No source map comment, and every relative import or reference inside dist/ lands on a shipped file.
  const dangling: string[] = []
  let references = 0
  for (const path of shipped) {
    if (!path.startsWith('dist/')) continue
    const text = await readFile(join(clone, path), 'utf8')
    if (text.includes('sourceMappingURL=')) dangling.push(`${path}: a source map comment`)
    for (const [, ref] of text.matchAll(/(?:from |import\(|path=)['"](\.{1,2}\/[^'"]+)['"]/g)) {
      references++
      const target = posix.join(posix.dirname(path), ref!)
      if (!shipped.has(target) && !shipped.has(target.replace(/\.js$/, '.d.ts')))
        dangling.push(`${path} -> ${ref}`)
    }
  }
  t.ok(references > 20, `${references} relative references inside dist/ checked`)
  t.same(dangling, [], 'dist/ refers to nothing the tarball lacks')

  // Links in the README are absolute, name a file inside the tarball, or name a guide under docs/
  // in the repository (the guides are not shipped; scripts/check-links.ts checks they resolve).
  const readme = await readFile(join(clone, 'README.md'), 'utf8')
  const relative = [...readme.matchAll(/\]\(([^)#]+)[^)]*\)/g)]
    .map(m => m[1]!)
    .filter(link => !/^[a-z]+:/i.test(link))
  t.same(
    relative.filter(
      link => !shipped.has(posix.normalize(link)) && !posix.normalize(link).startsWith('docs/'),
    ),
    [],
    'no README link to a file the tarball lacks, other than the repository guides under docs/',
  )
})
