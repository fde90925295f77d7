// `npm run test:docs-render`: only the headless Chromium check of the generated reference, which package.json's
// ava configuration (`npm test`) leaves out. AVA's project directory stays the repository root (package.json's).
export default {
  typescript: { rewritePaths: { 'test/': 'build/test/' }, compile: false },
  files: ['test/docs-render/render.test.ts'],
  timeout: '120s',
  workerThreads: false,
};
