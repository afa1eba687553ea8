/**
 * Fails when the folders of lib/ import each other in a circle (as `oauth2/` and a JWT
 * folder once did). `madge --circular` finds cycles between files; a cycle between folders can pass
 * through different files of each folder, so this collapses madge's file graph to folders (a file
 * directly under lib/ is a node of its own) and looks for a cycle there. Type-only imports count:
 * they tie the folders together just the same.
 */
import madge from 'madge'

const unitOf = (file: string): string => (file.includes('/') ? `${file.slice(0, file.indexOf('/'))}/` : file)

const files = (await madge('lib', { fileExtensions: ['ts'] })).obj()
const edges = new Map<string, Set<string>>()
for (const [file, imports] of Object.entries(files)) {
  const from = unitOf(file)
  for (const imported of imports) {
    const to = unitOf(imported)
    if (to === from) continue
    if (!edges.has(from)) edges.set(from, new Set())
    edges.get(from)!.add(to)
  }
}

/** A path that leads from `start` back to it, if there is one (depth-first, each unit once). */
function cycleFrom(start: string): string[] | undefined {
  const seen = new Set<string>()
  const walk = (unit: string, path: string[]): string[] | undefined => {
    for (const next of edges.get(unit) ?? []) {
      if (next === start) return [...path, next]
      if (seen.has(next)) continue
      seen.add(next)
      const found = walk(next, [...path, next])
      if (found !== undefined) return found
    }
    return undefined
  }
  return walk(start, [start])
}

/** The file imports that make the step `from` -> `to` of a cycle. */
function importsBetween(from: string, to: string): string[] {
  return Object.entries(files).flatMap(([file, imports]) =>
    unitOf(file) === from ? imports.filter(i => unitOf(i) === to).map(i => `${file} imports ${i}`) : [],
  )
}

// One report per cycle, whichever unit it was found from.
const cycles = new Map<string, string[]>()
for (const unit of edges.keys()) {
  const cycle = cycleFrom(unit)
  if (cycle !== undefined) cycles.set([...cycle.slice(1)].sort().join(), cycle)
}
if (cycles.size === 0) {
  console.log(`no import cycle between the folders of lib/ (${edges.size} importing units)`)
} else {
  for (const cycle of cycles.values()) {
    console.error(`import cycle between the folders of lib/: ${cycle.join(' -> ')}`)
    for (let i = 1; i < cycle.length; i++) {
      for (const line of importsBetween(cycle[i - 1]!, cycle[i]!)) console.error(`  ${line}`)
    }
  }
  process.exitCode = 1
}
