'use strict';
// Prints, as `name@version` words for `npm install`, the lowest or the highest published version that each
// required peer range of package.json allows on one OpenTelemetry JS line: CI runs the suite at both ends of the
// ranges the package promises. The @opentelemetry/api peer range spans both lines: the 2.x SDK admits api
// `<1.10.0`, the 3.x SDK `>=1.10.0`, so each line's ends are those of the peer range cut to the line's API range.
// Usage: node scripts/peer-range-ends.cjs lowest|highest 2.x|3.x
const { execFileSync } = require('node:child_process');
const path = require('node:path');
const semver = require('semver');

/** The @opentelemetry/api versions each OpenTelemetry JS line's SDK admits. */
const LINE_RANGES = {
  '2.x': { '@opentelemetry/api': '<1.10.0' },
  '3.x': { '@opentelemetry/api': '>=1.10.0' },
};

const [end, line] = process.argv.slice(2);
if ((end !== 'lowest' && end !== 'highest') || !(line in LINE_RANGES)) {
  console.error('usage: node scripts/peer-range-ends.cjs lowest|highest 2.x|3.x');
  process.exit(2);
}
const { peerDependencies, peerDependenciesMeta = {} } = require(path.join(__dirname, '..', 'package.json'));
const required = Object.entries(peerDependencies).filter(([name]) => !peerDependenciesMeta[name]?.optional);
const pick = end === 'lowest' ? semver.minSatisfying : semver.maxSatisfying;
const words = required.map(([name, range]) => {
  const versions = JSON.parse(execFileSync('npm', ['view', name, 'versions', '--json'], { encoding: 'utf8' }));
  const lineRange = LINE_RANGES[line][name] ?? '*';
  const version = pick(versions.filter((version) => semver.satisfies(version, lineRange)), range);
  if (version === null) throw new Error(`no published version of ${name} satisfies ${range} and ${lineRange} (the ${line} line)`);
  return `${name}@${version}`;
});
console.log(words.join(' '));
