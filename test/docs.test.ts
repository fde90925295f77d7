import test from 'ava';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as ts from 'typescript';
import { apiDir, generateDocs, root, textOf, TRACED_PAGE } from './docs-render/reference';

// Documentation that cannot rot: every ```ts block of the TSDoc comments in src/ and of README.md is
// type-checked against the built package (dist/, as a consumer's `import ... from 'drum-otel'` sees it), and
// the TypeDoc reference is generated without warnings. Its rendering in headless Chromium is
// test/docs-render/render.test.ts (`npm run test:docs-render`, outside `npm test`: it needs the browser).

const examplesDir = join(root, 'build', 'doc-examples');
const packageTypes = join(root, 'dist', 'index.d.ts');

/** One ```ts block of the documentation, and where it came from. */
interface DocBlock {
  /** `src/decorators.ts Traced @example (line 41)`: what a failure names. */
  readonly label: string;
  /** The source file (relative to the repository) and the 1-based line of the block's first code line. */
  readonly file: string;
  readonly line: number;
  readonly code: string;
  /** The symbol whose comment holds the block (`undefined` for a Markdown file). */
  readonly symbol: string | undefined;
  readonly tag: string | undefined;
}

const FENCE_OPEN = /^(\s*)```(ts|typescript)\s*$/;
const FENCE_ANY = /^\s*```/;

/** The ```ts blocks of `lines` (with their 0-based start line), and the TSDoc tag each one is under. */
function fencedBlocks(lines: readonly string[]): { start: number; code: string; tag: string | undefined }[] {
  const blocks: { start: number; code: string; tag: string | undefined }[] = [];
  let tag: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE_OPEN.exec(lines[i]);
    if (open === null) {
      if (FENCE_ANY.test(lines[i])) {
        // Some other fence (```sh, ```json ...): skip to its end so its lines are not read as tags.
        for (i++; i < lines.length && !FENCE_ANY.test(lines[i]); i++);
        continue;
      }
      const tagMatch = /^\s*(@[a-zA-Z]+)/.exec(lines[i]);
      if (tagMatch !== null) tag = tagMatch[1];
      continue;
    }
    const code: string[] = [];
    let closed = false;
    for (i++; i < lines.length; i++) {
      if (FENCE_ANY.test(lines[i])) {
        closed = true;
        break;
      }
      code.push(lines[i]);
    }
    if (!closed) throw new Error(`unclosed \`\`\`ts block at line ${lines.length}`);
    blocks.push({ start: i - code.length, code: code.join('\n') + '\n', tag });
  }
  return blocks;
}

/** The name of the declaration a JSDoc comment documents. */
function symbolName(node: ts.Node): string {
  const named = node as ts.Node & { name?: ts.Node };
  if (named.name !== undefined && (ts.isIdentifier(named.name) || ts.isStringLiteral(named.name))) {
    const parent = node.parent;
    const owner =
      parent !== undefined && (ts.isInterfaceDeclaration(parent) || ts.isClassDeclaration(parent)) && parent.name
        ? `${parent.name.text}.`
        : '';
    return owner + named.name.text;
  }
  if (ts.isVariableStatement(node)) {
    return node.declarationList.declarations.map((declaration) => declaration.name.getText()).join(', ');
  }
  return ts.SyntaxKind[node.kind];
}

/** Every ```ts block in the TSDoc comments of the `.ts` files in `src/` and its folders, named by file, symbol and tag. */
function sourceBlocks(): DocBlock[] {
  const blocks: DocBlock[] = [];
  const files = readdirSync(join(root, 'src'), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts') && !name.endsWith('.d.ts'))
    .sort();
  for (const name of files) {
    const file = `src/${name}`;
    const text = readFileSync(join(root, file), 'utf8');
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    const seen = new Set<number>();
    const visit = (node: ts.Node): void => {
      for (const doc of ts.getJSDocCommentsAndTags(node)) {
        if (!ts.isJSDoc(doc) || seen.has(doc.pos)) continue;
        seen.add(doc.pos);
        const firstLine = source.getLineAndCharacterOfPosition(doc.getStart(source)).line;
        // The comment's raw lines without `/**`, ` * ` and `*/`: TypeDoc's view of it, code fences intact.
        const lines = doc
          .getText(source)
          .split('\n')
          .map((line) => line.replace(/^\s*\/\*\*\s?/, '').replace(/\s*\*\/\s*$/, '').replace(/^\s*\* ?/, ''));
        const symbol = symbolName(node);
        for (const block of fencedBlocks(lines)) {
          const line = firstLine + block.start + 1;
          blocks.push({
            label: `${file} ${symbol} ${block.tag ?? '(description)'} (line ${line})`,
            file,
            line,
            code: block.code,
            symbol,
            tag: block.tag,
          });
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return blocks;
}

/** Every ```ts block of a Markdown file, named by the heading it is under. */
function markdownBlocks(file: string): DocBlock[] {
  const path = join(root, file);
  if (!existsSync(path)) return [];
  const lines = readFileSync(path, 'utf8').split('\n');
  return fencedBlocks(lines).map((block) => {
    const heading = lines
      .slice(0, block.start)
      .reverse()
      .find((line) => /^#{1,6} /.test(line));
    const line = block.start + 1;
    return {
      label: `${file} block under "${heading?.replace(/^#+ /, '') ?? '(top)'}" (line ${line})`,
      file,
      line,
      code: block.code,
      symbol: undefined,
      tag: undefined,
    };
  });
}

const blocks = [...sourceBlocks(), ...markdownBlocks('README.md')];

// A block that must NOT compile: proves the check sees the package's real types (an unresolved 'drum-otel'
// would make every import `any` or an error of another kind).
const CONTROL_FILE = join(examplesDir, 'control-must-fail.ts');
const CONTROL_CODE = "import { Traced } from 'drum-otel';\n\nTraced(42);\n";

const compilerOptions: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.CommonJS,
  moduleResolution: ts.ModuleResolutionKind.Node10,
  moduleDetection: ts.ModuleDetectionKind.Force,
  lib: ['lib.es2022.d.ts'],
  types: ['node'],
  typeRoots: [join(root, 'node_modules', '@types')],
  strict: true,
  noUnusedLocals: true,
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
  esModuleInterop: true,
  skipLibCheck: true,
  noEmit: true,
  // 'drum-otel' is this repository as a consumer resolves it: package.json's "types", i.e. dist/index.d.ts,
  // and the `drum-otel/setup` entry's types as its exports map names them.
  baseUrl: root,
  paths: { 'drum-otel': [root], 'drum-otel/setup': [join(root, 'dist', 'setup', 'index.d.ts')] },
};

interface Checked {
  readonly files: Map<DocBlock, string>;
  readonly diagnostics: Map<string, readonly ts.Diagnostic[]>;
  readonly resolvedPackage: string | undefined;
}

let checked: Checked | undefined;

/** Writes every block to build/doc-examples/ and type-checks them all in one program. */
function checkBlocks(): Checked {
  if (checked !== undefined) return checked;
  rmSync(examplesDir, { recursive: true, force: true });
  mkdirSync(examplesDir, { recursive: true });
  const files = new Map<DocBlock, string>();
  blocks.forEach((block, index) => {
    const base = `${String(index).padStart(2, '0')}-${block.file.replace(/[^a-zA-Z0-9]+/g, '_')}-${(block.symbol ?? 'block').replace(/[^a-zA-Z0-9]+/g, '_')}.ts`;
    const path = join(examplesDir, base);
    writeFileSync(path, block.code);
    files.set(block, path);
  });
  writeFileSync(CONTROL_FILE, CONTROL_CODE);
  const program = ts.createProgram([...files.values(), CONTROL_FILE], compilerOptions);
  const diagnostics = new Map<string, readonly ts.Diagnostic[]>();
  for (const path of [...files.values(), CONTROL_FILE]) {
    const source = program.getSourceFile(path)!;
    diagnostics.set(path, [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)]);
  }
  const global = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()];
  if (global.length > 0) throw new Error(`the examples' compiler options are wrong:\n${format(global, 0)}`);
  const resolved = ts.resolveModuleName('drum-otel', CONTROL_FILE, compilerOptions, ts.sys).resolvedModule;
  checked = { files, diagnostics, resolvedPackage: resolved?.resolvedFileName };
  return checked;
}

/** Diagnostics as `file:line:col message`, with `lineOffset` mapping an example's lines to its source's. */
function format(diagnostics: readonly ts.Diagnostic[], lineOffset: number, sourceFile?: string): string {
  return diagnostics
    .map((diagnostic) => {
      const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
      if (diagnostic.file === undefined || diagnostic.start === undefined) return `TS${diagnostic.code}: ${message}`;
      const { line, character } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
      const where = sourceFile ?? relative(root, diagnostic.file.fileName);
      return `${where}:${line + 1 + lineOffset}:${character + 1} TS${diagnostic.code}: ${message}`;
    })
    .join('\n');
}

test('the documentation has ```ts examples to check', (t) => {
  t.true(blocks.length > 0);
  // The entry points of both entries, each with an example.
  const required = ['Traced', 'NoTrace', 'instrumentControllers', 'extractRequestHeaders', 'GenAiTelemetry', 'GenAiMetrics', 'setupOtel'];
  for (const symbol of required) {
    t.true(
      blocks.some((block) => block.symbol === symbol && block.tag === '@example'),
      `${symbol} has no @example with a \`\`\`ts block`,
    );
  }
  t.true(existsSync(packageTypes), 'dist/index.d.ts is missing: run npm run build first');
});

test('examples resolve drum-otel to the built package, and a wrong example fails the check', (t) => {
  const { diagnostics, resolvedPackage } = checkBlocks();
  t.is(resolvedPackage, packageTypes);
  const control = diagnostics.get(CONTROL_FILE)!;
  // TS2345: Argument of type 'number' is not assignable to parameter of type 'string | TracedOptions'.
  t.deepEqual(
    control.map((diagnostic) => diagnostic.code),
    [2345],
    format(control, 0),
  );
});

for (const block of blocks) {
  test(`example compiles: ${block.label}`, (t) => {
    const { files, diagnostics } = checkBlocks();
    const found = diagnostics.get(files.get(block)!)!;
    t.is(found.length, 0, `${block.label} does not compile:\n${format(found, block.line - 1, block.file)}`);
  });
}

// ---------------------------------------------------------------------------------------------------------
// The generated reference.

const CATEGORIES = ['Decorators', 'Bootstrap', 'Setup', 'Attributes', 'GenAI'];

/** The page of each entry: `drum-otel` and `drum-otel/setup`, as their `@module` tags name them. */
const ENTRY_PAGES = { 'drum-otel': 'drum-otel.html', 'drum-otel/setup': 'drum-otel_setup.html' } as const;

/** An entry page's exports, one list per `<h2>` category (ids are the lower-case export names). */
function categories(page: string): Map<string, string[]> {
  const html = readFileSync(join(apiDir, 'modules', page), 'utf8');
  const sections = new Map<string, string[]>();
  for (const section of html.split(/<h2\b/).slice(1)) {
    const title = textOf(`<h2${section.slice(0, section.indexOf('</h2>'))}`).trim();
    sections.set(title, [...section.matchAll(/<dt class="tsd-member-summary" id="([^"]+)"/g)].map((match) => match[1]));
  }
  return sections;
}

test('npm run docs builds the reference without warnings: one page per entry, grouped by category', async (t) => {
  const { stdout, stderr } = await generateDocs(); // rejects (failing the test) on a non-zero exit
  t.notRegex(stdout + stderr, /\[(warning|error)\]/, stdout + stderr);
  t.true(existsSync(join(apiDir, 'index.html')), 'docs/api/index.html was not generated');
  t.true(existsSync(join(apiDir, TRACED_PAGE)), `docs/api/${TRACED_PAGE} was not generated`);

  const main = categories(ENTRY_PAGES['drum-otel']);
  const setup = categories(ENTRY_PAGES['drum-otel/setup']);
  for (const [entry, sections] of [['drum-otel', main], ['drum-otel/setup', setup]] as const) {
    t.deepEqual(
      [...sections.keys()].filter((title) => !CATEGORIES.includes(title)),
      [],
      `an export of ${entry} without a known @category`,
    );
  }
  t.deepEqual(main.get('Decorators')?.filter((id) => id === 'traced' || id === 'notrace').sort(), ['notrace', 'traced']);
  t.true(main.get('Bootstrap')?.includes('instrumentcontrollers'));
  t.true(main.get('Attributes')?.includes('extractrequestheaders'));
  t.false([...main.values()].flat().includes('setupotel'), 'setupOtel is exported by the main entry');
  t.true(setup.get('Setup')?.includes('setupotel'), 'setupOtel is not in the Setup category of drum-otel/setup');
});
