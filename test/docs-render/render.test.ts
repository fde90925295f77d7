import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { apiDir, generateDocs, root, textOf, TRACED_PAGE } from './reference';

// The generated reference opened in headless Chromium: its pages render (the theme's scripts run) and show the
// README and the Traced signature. Not part of `npm test` (package.json's ava "files" leave this folder out):
// `npm run test:docs-render` runs it, on a machine with Chromium (.ci/run installs it first).

const run = promisify(execFile);
const CHROMIUM = '/usr/bin/chromium';
const INSTALL = 'apt-get update && apt-get install -y chromium';

const TRACED_SIGNATURE = 'Traced(options?: string | TracedOptions): ClassOrMethodDecorator';
const FENCE_ANY = /^\s*```/;

/** The DOM of a page after Chromium loaded it and ran its scripts. */
async function renderedDom(page: string): Promise<string> {
  const profile = mkdtempSync(join(tmpdir(), 'drum-otel-chromium-'));
  try {
    const { stdout } = await run(
      CHROMIUM,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        `--user-data-dir=${profile}`,
        // Lets the page's own timers run before the dump: TypeDoc's theme shows the body and fills the
        // navigation from a script, which an immediate dump would not see.
        '--virtual-time-budget=10000',
        '--dump-dom',
        pathToFileURL(page).href,
      ],
      { timeout: 45_000, maxBuffer: 64 * 1024 * 1024 },
    );
    return stdout;
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

/** The `<h1>`/`<h2>` headings of README.md as rendered text (inline code and links reduced to their text). */
function readmeHeadings(): string[] {
  const path = join(root, 'README.md');
  if (!existsSync(path)) return [];
  const headings: string[] = [];
  let inFence = false;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (FENCE_ANY.test(line)) inFence = !inFence;
    else if (!inFence && /^#{1,2} /.test(line)) {
      headings.push(line.replace(/^#+ /, '').replace(/`/g, '').replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').trim());
    }
  }
  return headings;
}

test('the reference renders in headless Chromium: the README landing page and the Traced signature', async (t) => {
  if (!existsSync(CHROMIUM)) {
    // Fails rather than skips: a machine that runs this check must have the browser.
    t.fail(`${CHROMIUM} is not installed: this check needs headless Chromium. Install it with \`${INSTALL}\` (as root or through sudo, on Debian/Ubuntu; .ci/run does), then run npm run test:docs-render again.`);
    return;
  }
  await generateDocs();
  const tracedPage = join(apiDir, TRACED_PAGE);
  const [index, traced] = await Promise.all([renderedDom(join(apiDir, 'index.html')), renderedDom(tracedPage)]);

  for (const [name, dom] of [['index.html', index], [TRACED_PAGE, traced]] as const) {
    // The theme hides <body> until its script has run: a visible body means the page really rendered.
    t.regex(dom, /<body(?![^>]*display:\s*none)[^>]*>/, `${name}: <body> is still hidden`);
    // The navigation is filled in by a script from assets/navigation.js; the static file has none of it.
    t.regex(dom, /id="tsd-nav-container"[\s\S]*href="[^"]*functions\/drum-otel\.Traced\.html"/, `${name}: no navigation link to Traced`);
  }
  t.notRegex(readFileSync(tracedPage, 'utf8'), /functions\/drum-otel\.Traced\.html/, 'the static page already had the navigation');

  const tracedText = textOf(traced);
  t.true(tracedText.includes(TRACED_SIGNATURE), `${TRACED_PAGE} lacks "${TRACED_SIGNATURE}":\n${tracedText.slice(0, 2000)}`);
  t.true(tracedText.includes("@Traced({ name: 'drum.invocations'"), `${TRACED_PAGE} lacks its example`);

  // README.md is the landing page.
  const indexText = textOf(index);
  const headings = readmeHeadings();
  t.true(headings.length > 0, 'README.md has no headings');
  for (const heading of headings) t.true(indexText.includes(heading), `index.html lacks the README heading "${heading}"`);
});
