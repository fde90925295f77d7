import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

// The generated TypeDoc reference, shared by test/docs.test.ts (built without warnings, categories: `npm test`)
// and test/docs-render/render.test.ts (rendered in headless Chromium: `npm run test:docs-render`).

const run = promisify(execFile);

export const root = join(__dirname, '..', '..', '..');
export const apiDir = join(root, 'docs', 'api');
export const TRACED_PAGE = join('functions', 'drum-otel.Traced.html');

let docsRun: Promise<{ stdout: string; stderr: string }> | undefined;

/** `npm run docs`, once per test file. */
export function generateDocs(): Promise<{ stdout: string; stderr: string }> {
  docsRun ??= run('npm', ['run', 'docs'], { cwd: root, env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' } });
  return docsRun;
}

/** A page's text as a reader sees it: tags, scripts and styles removed, entities decoded, spaces collapsed. */
export function textOf(html: string): string {
  return html
    .replace(/<(script|style)\b[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<wbr\s*\/?>/gi, '')
    .replace(/<\/?(p|div|h[1-6]|li|ul|ol|dt|dd|tr|td|th|table|section|pre|br|summary|details)\b[^>]*>/gi, ' ')
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&#x27;/g, "'")
    .replace(/&nbsp;/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}
