/**
 * Issue 18: the README shrank to a first screen and its long sections moved to docs/ guides; every
 * relative link among them, and every README/docs reference in lib/ comments, must still land on
 * a file and a heading (scripts/check-links.ts, also a .ci/run step).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { anchorsOf, checkLinks, slug } from '../scripts/check-links.js'

const root = fileURLToPath(new URL('..', import.meta.url))

t.test('every link in README.md, docs/*.md and lib/ comments resolves', async t => {
  t.same(checkLinks(root), [])
})

t.test("anchors are GitHub's: punctuation dropped, repeats numbered, code fences skipped", async t => {
  t.equal(
    slug('Service accounts: `AssertionClient` (RFC 7523 §2.1 JWT bearer grant)'),
    'service-accounts-assertionclient-rfc-7523-21-jwt-bearer-grant',
  )
  t.same(
    [...anchorsOf('# Title\n\n## Errors\n\n```sh\n# not a heading\n```\n\n### Errors\n')],
    ['title', 'errors', 'errors-1'],
  )
})

t.test(
  'a missing file, a missing heading and a deep link into the generated reference are reported',
  async t => {
    const dir = await mkdtemp(join(tmpdir(), 'undici-oauth-links-'))
    t.teardown(() => rm(dir, { recursive: true, force: true }))
    await mkdir(join(dir, 'docs'))
    await mkdir(join(dir, 'lib'))
    await writeFile(join(dir, 'typedoc.json'), JSON.stringify({ out: 'docs/api' }))
    await writeFile(
      join(dir, 'README.md'),
      '# R\n\n[ok](docs/guide.md#usage) [gone](docs/gone.md) [api](docs/api/index.html) [deep](docs/api/classes/X.html)\n',
    )
    await writeFile(
      join(dir, 'docs', 'guide.md'),
      '# Guide\n\n## Usage\n\n[self](#usage) [bad](#nowhere) [up](../README.md#r)\n',
    )
    await writeFile(join(dir, 'lib', 'a.ts'), '/** @see docs/guide.md#usage @see README.md#missing */\n')
    t.same(checkLinks(dir), [
      'README.md: docs/gone.md (no file docs/gone.md)',
      'README.md: docs/api/classes/X.html (link the generated reference by its index, docs/api/index.html)',
      'docs/guide.md: #nowhere (no heading #nowhere in docs/guide.md)',
      'lib/a.ts: README.md#missing (no heading #missing in README.md)',
    ])
  },
)
