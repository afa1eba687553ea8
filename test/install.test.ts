// Acceptance 1 of issue 12: the package installs from a clone of this repository, as the README's
// Install section says, into a fresh project that then imports it and makes a real call.
// The clone is of HEAD, so this test covers what is committed, not uncommitted changes in the working
// tree (CI runs on a fresh clone, where the two are the same). What the tarball holds is
// test/package.test.ts's subject.
import { symlink } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import {
  checkConsumer,
  consumer,
  consumerPackage,
  npmInstall,
  repoRoot,
  sh,
  tempDir,
  typeCheck,
} from './fixtures/npm-consumer.js'

// A git install runs `npm install` of every devDependency in a temporary clone before `prepare`
// builds; with npm's cache warm the whole file takes about a minute, on a busy machine several.
t.setTimeout(600_000)

const clone = await tempDir(t, 'undici-oauth-clone-')
const head = (await sh(repoRoot, 'git', ['rev-parse', 'HEAD'])).trim()
await sh(repoRoot, 'git', ['clone', '--quiet', '--no-hardlinks', '--no-checkout', repoRoot, clone])
await sh(clone, 'git', ['checkout', '--quiet', '--detach', head])
// The folder install packs the clone after running its `prepare` there, which needs the clone's
// devDependencies: the README has the user run `npm ci` in the clone; this repository's own
// node_modules, installed from the same lockfile, stands in for that.
await symlink(join(repoRoot, 'node_modules'), join(clone, 'node_modules'), 'dir')

// Installs that npm 11 must not let through with a notice only: the consumer approves undici-oauth's
// `prepare` in `allowScripts` (the README says so) and strict mode turns anything unapproved into an error.
t.test('npm install git+file://<clone> builds through prepare and works', async t => {
  const spec = `git+file://${clone}`
  const dir = await consumer(t, { 'package.json': consumerPackage({ [spec]: true }) })
  await sh(dir, 'npm', [...npmInstall, spec], 600_000)
  await checkConsumer(t, dir)
  // Types are the same files whichever way the package came in: checked once, from ESM and CommonJS.
  t.equal(
    await typeCheck(dir, { module: 'nodenext', files: ['types.mts', 'types.cts'] }),
    '',
    'types resolve from .mts and .cts under strict',
  )
})

t.test('npm install <clone folder> with install-links packs it and works', async t => {
  const dir = await consumer(t, {
    'package.json': consumerPackage({ [`file:${clone}`]: true }),
    '.npmrc': 'install-links=true\n',
  })
  await sh(dir, 'npm', [...npmInstall, clone], 600_000)
  await checkConsumer(t, dir)
})
