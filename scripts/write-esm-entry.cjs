'use strict';
// Writes dist/index.mjs: an ES module facade over the CommonJS build, so that `import` and `require`
// share one module instance (one metadata registry, one set of symbols) instead of two copies.
const fs = require('node:fs');
const path = require('node:path');

const dist = path.join(__dirname, '..', 'dist');
const names = Object.keys(require(path.join(dist, 'index.js'))).filter((name) => name !== '__esModule');
const lines = [
  "import cjs from './index.js';",
  '',
  ...names.map((name) => `export const ${name} = cjs.${name};`),
  '',
];
fs.writeFileSync(path.join(dist, 'index.mjs'), lines.join('\n'));
