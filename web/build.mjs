// Build the editor bundle into dist/: hashed assets, manifest.json, the page templates and sw.js.
// Deterministic: the same lock file and sources give byte-identical output (CI diffs dist/).
import { createHash } from 'node:crypto'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as esbuild from 'esbuild'

const root = dirname(fileURLToPath(import.meta.url))
const src = join(root, 'src')
const dist = join(root, 'dist')
const assets = join(dist, 'assets')

/**
 * y-codemirror.next 0.3.x reuses a remote caret's DOM while its colour stays the same
 * (YRemoteCaretWidget.eq/compare look at the colour only), so a renamed person keeps the old
 * name label. Compare the name too. The build fails if the library's code changes shape.
 */
const patchRemoteCaret = {
  name: 'patch-remote-caret',
  setup (build) {
    build.onLoad({ filter: /y-codemirror\.next[\\/]src[\\/]y-remote-selections\.js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8')
      const before = 'return widget.color === this.color'
      if (text.split(before).length !== 3) throw new Error(`${args.path}: caret patch does not apply`)
      const contents = text.split(before).join(`${before} && widget.name === this.name`)
      return { contents, loader: 'js' }
    })
  }
}

// The pages other than the editor, each with a script of its own (the editor's CSS styles all).
const PAGES = ['home', 'signin', 'people']

/** Bundle the entry points; returns {logical name: path relative to dist}. */
async function bundle () {
  const pages = Object.fromEntries(PAGES.map((page) => [page, join(src, `${page}.js`)]))
  const result = await esbuild.build({
    entryPoints: { editor: join(src, 'editor.js'), ...pages },
    outdir: assets,
    entryNames: '[name]-[hash]',
    // Each editor surface (text.js: CodeMirror, rich.js: Tiptap) is a chunk of its own, loaded
    // by the pages that need it.
    splitting: true,
    chunkNames: 'chunk-[hash]',
    bundle: true,
    format: 'esm',
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
    minify: true,
    legalComments: 'eof',
    metafile: true,
    logLevel: 'warning',
    absWorkingDir: root,
    plugins: [patchRemoteCaret]
  })
  const manifest = {}
  const chunks = []
  for (const [out, meta] of Object.entries(result.metafile.outputs)) {
    const path = relative(dist, join(root, out)).split('\\').join('/')
    const page = PAGES.find((name) => meta.entryPoint === `src/${name}.js`)
    if (page) {
      manifest[`${page}.js`] = path
      continue
    }
    if (meta.entryPoint !== 'src/editor.js' && !out.endsWith('.css')) {
      chunks.push(path)
      continue
    }
    manifest[`editor${out.endsWith('.css') ? '.css' : '.js'}`] = path
  }
  return { ...sortKeys(manifest), chunks: chunks.sort() }
}

function sortKeys (obj) {
  return Object.fromEntries(Object.entries(obj).sort(([a], [b]) => (a < b ? -1 : 1)))
}

/** Fill the build-time placeholders ([[NAME]]) of a template; server placeholders stay. */
function fill (text, values) {
  return text.replace(/\[\[([A-Z_]+)\]\]/g, (_, key) => {
    if (!(key in values)) throw new Error(`unknown build placeholder [[${key}]]`)
    return values[key]
  })
}

async function main () {
  await rm(assets, { recursive: true, force: true })
  await mkdir(assets, { recursive: true })
  const manifest = await bundle()
  const urls = { EDITOR_JS: `/${manifest['editor.js']}`, EDITOR_CSS: `/${manifest['editor.css']}` }
  const home = Object.fromEntries(PAGES.map((page) => [`${page.toUpperCase()}_JS`, `/${manifest[`${page}.js`]}`]))
  const version = createHash('sha256').update(JSON.stringify(manifest)).digest('hex').slice(0, 12)
  // Offline, a reload needs the chunks too: the service worker keeps every asset.
  const precache = [...Object.values(urls), ...manifest.chunks.map((path) => `/${path}`)]
  const values = { ...urls, ...home, VERSION: version, PRECACHE: JSON.stringify(precache) }
  for (const name of ['editor.html', ...PAGES.map((page) => `${page}.html`), 'error.html', 'sw.js']) {
    const text = await readFile(join(src, name), 'utf8')
    await writeFile(join(dist, name), fill(text, values))
  }
  await writeFile(join(dist, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n')
  console.log(`built ${precache.join(', ')}`)
}

await main()
