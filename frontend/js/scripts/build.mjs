#!/usr/bin/env node
// npm run build: bundle src/composer.js into composer.bundle.js (ESM, minified) and print sizes.
// npm run check-bundle (--check): build into a temporary file and fail if the committed
// composer.bundle.js differs (esbuild output is deterministic for a given package-lock.json).
import { build } from 'esbuild'
import { readFileSync, mkdtempSync, rmSync, existsSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'
import { tmpdir } from 'node:os'
import { patchYTiptap } from '../src/caret-diff.js'
import { patchSelectionRestore } from '../src/selection-restore.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const committed = join(root, 'composer.bundle.js')
const checkMode = process.argv.includes('--check')
const tmp = checkMode ? mkdtempSync(join(tmpdir(), 'composer-bundle-')) : null
const outfile = checkMode ? join(tmp, 'composer.bundle.js') : committed
// Tiptap's dist files create every extension at the top level (`const TaskList = Node.create(…)`),
// which a bundler must keep in case the call has side effects. They have none: marking them
// pure lets esbuild drop the extensions the composer never uses (task lists, character count…).
const pureExtensions = {
  name: 'pure-tiptap-extensions',
  setup (b) {
    b.onLoad({ filter: /node_modules[\\/]@tiptap[\\/][^\\/]+[\\/]dist[\\/]index\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8')
      const contents = source.replace(/^(\s*(?:var|let|const)\s+[\w$]+\s*=\s*)([\w$]+)\.create\(/gm, '$1/* @__PURE__ */ $2.create(')
      return { contents, loader: 'js' }
    })
  }
}

// y-tiptap diffs a paragraph's old and new text without looking at the caret, so text typed
// right before an equal text is stored after it and concurrent edits can garble words (issue 17).
// src/caret-diff.js rewrites its dist file to diff at the caret; patchYTiptap throws when
// y-tiptap's source no longer has the patterns it rewrites, which fails the build.
const caretDiffModule = join(root, 'src/caret-diff.js')
let yTiptapPatched = 0
const caretAwareYTiptap = {
  name: 'caret-aware-y-tiptap',
  setup (b) {
    b.onLoad({ filter: /node_modules[\\/]@tiptap[\\/]y-tiptap[\\/]dist[\\/]y-tiptap\.js$/ }, (args) => {
      // and a remote update whose selection lands past the document's end must not leave the
      // editor showing stale text (src/selection-restore.js, y-prosemirror#272)
      const contents = patchSelectionRestore(patchYTiptap(readFileSync(args.path, 'utf8'), caretDiffModule))
      yTiptapPatched++
      return { contents, loader: 'js' }
    })
  }
}

const result = await build({
  entryPoints: [join(root, 'src/index.js')],
  plugins: [pureExtensions, caretAwareYTiptap],
  // linkifyjs (20 KB) replaced by a small finder with the same API (src/linkify-lite.js)
  alias: { linkifyjs: join(root, 'src/linkify-lite.js') },
  outfile,
  bundle: true,
  format: 'esm',
  minify: true,
  target: ['es2020'],
  platform: 'browser',
  legalComments: 'none', // licences: see package.json / node_modules (all MIT)
  charset: 'utf8',
  metafile: true,
  logLevel: 'warning'
})
const bytes = readFileSync(outfile)
const gz = gzipSync(bytes, { level: 9 }).length
const kb = (n) => (n / 1024).toFixed(1) + ' KiB'
console.log(`composer.bundle.js: ${bytes.length} bytes (${kb(bytes.length)}) minified, ${gz} bytes (${kb(gz)}) gzip -9`)
// guard against a second copy of yjs or prosemirror-model sneaking in (breaks instanceof checks)
const inputs = Object.keys(result.metafile.inputs)
for (const pkg of ['yjs', 'prosemirror-model', 'prosemirror-state', 'prosemirror-view', 'lib0/encoding']) {
  const copies = new Set(inputs.filter(p => p.includes(`node_modules/${pkg}/`)).map(p => p.slice(0, p.indexOf(`node_modules/${pkg}/`))))
  if (copies.size > 1) { console.error(`duplicate ${pkg} in the bundle: ${[...copies].join(', ')}`); process.exit(1) }
}
// the caret-aware diff must be in the bundle: y-tiptap was loaded (once) through the patch, and
// src/caret-diff.js, which only the patched y-tiptap imports, made it into the output
const output = Object.values(result.metafile.outputs)[0]
const caretDiffBytes = Object.entries(output.inputs).find(([p]) => p.endsWith('src/caret-diff.js'))?.[1].bytesInOutput ?? 0
if (yTiptapPatched !== 1 || caretDiffBytes === 0) {
  console.error(`the caret-aware y-tiptap patch is not in the bundle (y-tiptap patched ${yTiptapPatched} times, ` +
    `src/caret-diff.js: ${caretDiffBytes} bytes in the output): did y-tiptap's entry point move?`)
  process.exit(1)
}

if (checkMode) {
  const same = existsSync(committed) && Buffer.compare(readFileSync(committed), bytes) === 0
  rmSync(tmp, { recursive: true, force: true })
  if (!same) {
    console.error('composer.bundle.js is not what `npm run build` produces from src/ and package-lock.json: run `npm run build` and commit it')
    process.exit(1)
  }
  console.log('composer.bundle.js is up to date')
}
