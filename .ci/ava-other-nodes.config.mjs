// The suite again under Node 24 and 22 (.ci/run), on the build/ `npm test` made under Node 26. Left out: what
// does not depend on the Node running the tests but takes minutes, and ran under Node 26 already: the package
// tests (npm installs of the packed tarball, whose applications run on the Node that runs the suite only for
// the 3.x application) and the documentation build. AVA's project directory stays the repository root.
export default {
  typescript: { rewritePaths: { 'test/': 'build/test/' }, compile: false },
  files: ['test/**/*.test.ts', '!test/docs-render/**', '!test/package.test.ts', '!test/package-types.test.ts', '!test/docs.test.ts'],
  timeout: '60s',
  workerThreads: false,
};
