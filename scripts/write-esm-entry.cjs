'use strict';
// Writes an ES module facade (`<entry>.mjs`) over each CommonJS entry of dist, so that `import` and `require`
// share one module instance (one metadata registry, one set of symbols) instead of two copies.
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const { exports: entries } = require(path.join(root, 'package.json'));

// Every entry of the exports map with a `require` and an `import` target gets its facade.
for (const { require: commonJs, import: esm } of Object.values(entries).filter((entry) => entry.import)) {
  const names = Object.keys(require(path.join(root, commonJs))).filter((name) => name !== '__esModule');
  const lines = [
    `import cjs from './${path.basename(commonJs)}';`,
    '',
    ...names.map((name) => `export const ${name} = cjs.${name};`),
    '',
  ];
  fs.writeFileSync(path.join(root, esm), lines.join('\n'));
}
