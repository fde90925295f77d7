'use strict';
// Prints, as `name@version` words for `npm install`, the lowest or the highest published version that each
// required peer range of package.json allows: CI runs the suite at both ends of the ranges the package promises.
// Usage: node scripts/peer-range-ends.cjs lowest|highest
const { execFileSync } = require('node:child_process');
const path = require('node:path');
const semver = require('semver');

const end = process.argv[2];
if (end !== 'lowest' && end !== 'highest') {
  console.error('usage: node scripts/peer-range-ends.cjs lowest|highest');
  process.exit(2);
}
const { peerDependencies, peerDependenciesMeta = {} } = require(path.join(__dirname, '..', 'package.json'));
const required = Object.entries(peerDependencies).filter(([name]) => !peerDependenciesMeta[name]?.optional);
const pick = end === 'lowest' ? semver.minSatisfying : semver.maxSatisfying;
const words = required.map(([name, range]) => {
  const versions = JSON.parse(execFileSync('npm', ['view', name, 'versions', '--json'], { encoding: 'utf8' }));
  const version = pick(versions, range);
  if (version === null) throw new Error(`no published version of ${name} satisfies ${range}`);
  return `${name}@${version}`;
});
console.log(words.join(' '));
