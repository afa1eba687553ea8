// Loaded into every test process (.taprc node-arg): an unhandled rejection anywhere in the suite
// fails that test file, and so the run, even where tap itself would only report it.
process.on('unhandledRejection', reason => {
  process.exitCode = 1
  console.error('unhandled rejection:', reason)
})
