// Browser end-to-end scenario for a stock Tiptap editor connected with HocuspocusProvider to
// collab's /hocuspocus, run by tests/browser/test_hocuspocus_editors.py; see common.mjs for how
// scenarios are driven. The page is test-only: tiptap_hocuspocus_page.mjs bundled by esbuild
// (web/node_modules' esbuild and Tiptap; the provider from tests/interop/node_modules, where it
// is installed as hocuspocus-provider-4, since web/'s lock is the product's), written into a page
// of the server's own origin (its /healthz, replaced), as blocknote_e2e.mjs does and for the same
// reason: a page Playwright made up has no address, and Chromium's local-network checks then
// refuse its socket to 127.0.0.1.
import { fileURLToPath } from 'node:url'
import { WAIT, baseUrl, check, log, outdir, run } from './common.mjs'
import { require } from './chromium.mjs'

const WEB = fileURLToPath(new URL('../../web/node_modules', import.meta.url))
const INTEROP = fileURLToPath(new URL('../interop/node_modules', import.meta.url))
const ENTRY = fileURLToPath(new URL('./tiptap_hocuspocus_page.mjs', import.meta.url))
const TOKENS = JSON.parse(process.env.COLLAB_E2E_TOKENS || '{}')

// One copy of Yjs and its helpers in the bundle: the provider (in tests/interop/node_modules)
// would otherwise bring its own beside Tiptap's, and two Yjs in one page break each other's
// documents.
const SHARED = /^(yjs|y-protocols|lib0)(\/.*)?$/
const onePackageCopy = {
  name: 'one-package-copy',
  setup (build) {
    build.onResolve({ filter: SHARED }, (args) => {
      if (args.pluginData === 'shared') return undefined
      return build.resolve(args.path, { kind: args.kind, resolveDir: WEB, pluginData: 'shared' })
    })
  }
}

async function bundle () {
  const { build } = require('esbuild')
  const built = await build({
    entryPoints: [ENTRY],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    nodePaths: [WEB, INTEROP],
    plugins: [onePackageCopy],
    metafile: true,
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'warning'
  })
  const inputs = Object.keys(built.metafile?.inputs || {})
  const second = inputs.filter((p) => /interop\/node_modules\/(yjs|y-protocols|lib0)\//.test(p))
  check(second.length === 0, `a second copy of Yjs in the bundle: ${second.slice(0, 3).join(', ')}`)
  const script = built.outputFiles[0].text.replaceAll('</script', '<\\/script')
  const style = `body { font: 16px sans-serif; margin: 2rem; }
    .tiptap { min-height: 300px; outline: 1px solid #888; padding: 0.5rem 1rem; }
    .collaboration-carets__caret { border-left: 1px solid; border-right: 1px solid; margin: 0 -1px; position: relative; pointer-events: none; }
    .collaboration-carets__label { position: absolute; top: -1.4em; left: -1px; font-size: 12px; color: #fff; padding: 0 4px; white-space: nowrap; border-radius: 3px 3px 3px 0; }`
  return '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Tiptap over Hocuspocus on collab</title>' +
    `<style>${style}</style></head>` +
    '<body><main><div id="editor" data-room="@ROOM" data-name="@NAME" data-token="@TOKEN"></div></main>' +
    `<script type="module">${script}</script></body></html>`
}

/** A page of its own (own context) with a Tiptap editor on `room` as `name`, synced. */
async function openTiptap (browser, html, room, name) {
  const context = await browser.newContext({ viewport: { width: 900, height: 700 }, baseURL: baseUrl })
  const page = await context.newPage()
  const errors = []
  page.on('pageerror', (err) => { errors.push(err.message); log(`[page error ${name}] ${err.message}`) })
  page.on('console', (msg) => { if (msg.type() === 'error') log(`[console ${name}] ${msg.text()}`) })
  await page.goto('/healthz')
  await page.setContent(html.replace('@ROOM', room).replace('@NAME', name).replace('@TOKEN', TOKENS[name]))
  try {
    await page.waitForFunction(() => window.tiptap?.synced, null, { timeout: WAIT })
  } catch (err) {
    const now = await page.evaluate(() => ({ authenticated: window.tiptap?.authenticated, denied: window.tiptap?.denied }))
    throw new Error(`${name} never synced: ${JSON.stringify(now)}`)
  }
  const scope = await page.evaluate(() => window.tiptap.authenticated)
  check(scope === 'read-write', `${name} was admitted with scope ${scope}`)
  return { context, page, errors, name }
}

const json = (opened) => opened.page.evaluate(() => window.tiptap.editor.getJSON())
const paragraphs = (opened) => opened.page.evaluate(() =>
  [...document.querySelectorAll('.tiptap > *')].map((el) => `${el.tagName.toLowerCase()}:${el.textContent}`))

/** Wait until `predicate` holds of the page's editor JSON; that JSON. */
async function waitDoc (opened, predicate, what) {
  const deadline = Date.now() + WAIT
  let now = null
  while (Date.now() < deadline) {
    now = await json(opened)
    if (predicate(now)) return now
    await opened.page.waitForTimeout(100)
  }
  throw new Error(`${what} (${opened.name}): the document is ${JSON.stringify(now)}`)
}

const textOf = (node) => node.text ?? (node.content || []).map(textOf).join('')
/** The document's blocks' text, one line each. */
const lines = (doc) => (doc.content || []).map(textOf)
const hasText = (text) => (doc) => lines(doc).some((line) => line.includes(text))

async function typeAtEnd (page, keys) {
  await page.click('.tiptap')
  await page.keyboard.press('Control+End')
  for (const key of keys) {
    if (key.startsWith('@')) await page.keyboard.press(key.slice(1))
    else await page.keyboard.type(key, { delay: 15 })
  }
}

/** A REST call as the room's admin; the answer (JSON, or text for a snapshot). */
async function api (method, path, body) {
  const headers = { authorization: `Bearer ${TOKENS.Owner}` }
  if (body) headers['content-type'] = 'application/json'
  const res = await fetch(`${baseUrl}/api/rooms/${path}`, { method, headers, body: body && JSON.stringify(body) })
  const text = await res.text()
  check(res.ok, `${method} ${path}: ${res.status} ${text}`)
  return path.includes('/snapshot') ? text : JSON.parse(text)
}

/** The other person's caret, with their name on it, in `opened`'s page. */
async function waitCaret (opened, other) {
  try {
    await opened.page.waitForFunction((n) => [...document.querySelectorAll('.tiptap .collaboration-carets__caret .collaboration-carets__label')]
      .some((el) => el.textContent === n), other, { timeout: WAIT })
  } catch (err) {
    throw new Error(`${opened.name} never showed ${other}'s caret: ${await opened.page.evaluate(() => document.querySelector('.tiptap').innerHTML)}`)
  }
}

const scenarios = {
  /** Two Tiptap pages over Hocuspocus on one room: typing in both at once converges, each shows
   *  the other's caret, the snapshot as text and Markdown is what was typed, and a version
   *  restored comes back into both pages, which go on syncing. */
  async 'tiptap-hocuspocus-two-pages' (browser) {
    const room = 'tiptap-hp-room'
    await api('PUT', room)
    const html = await bundle()
    // A starts the document, then B opens it. (Two editors opening an empty document at once
    // each write their empty paragraph: stock Tiptap's behaviour, not the server's.)
    const a = await openTiptap(browser, html, room, 'Alice')
    await typeAtEnd(a.page, ['# Launch plan', '@Enter', 'Ship ', '@Control+b', 'bold', '@Control+b'])
    const b = await openTiptap(browser, html, room, 'Bob')
    await waitDoc(b, hasText('Ship bold'), 'B opens what A typed')
    await typeAtEnd(a.page, [' today', '@Enter', 'Notes:'])
    await waitDoc(b, hasText('Notes:'), 'B sees what A types')
    // Both at once: A finishes its paragraph while B adds a list at the end (apart: two carets
    // at one spot, a split there can carry the other's caret along, in any Yjs editor).
    await Promise.all([
      (async () => {
        await a.page.click('.tiptap p:has-text("Ship")')
        await a.page.keyboard.press('End')
        await a.page.keyboard.type(' and tested', { delay: 15 })
      })(),
      typeAtEnd(b.page, ['@Enter', '- first', '@Enter', 'second'])
    ])
    const fromA = await waitDoc(a, (d) => hasText('Ship bold today and tested')(d) && hasText('second')(d), 'A has both')
    await waitDoc(b, (d) => JSON.stringify(d) === JSON.stringify(fromA), 'B converges with A')
    log(`typed: ${JSON.stringify(await paragraphs(a))}`)
    check(lines(fromA).join('|') === 'Launch plan|Ship bold today and tested|Notes:|firstsecond',
      `the document: ${JSON.stringify(fromA)}`)
    await waitCaret(a, 'Bob')
    await waitCaret(b, 'Alice')

    const text = await api('GET', `${room}/snapshot?format=text`)
    // Text: the blocks without marks, a list's items as "- " lines.
    const wantText = 'Launch plan\n\nShip bold today and tested\n\nNotes:\n\n- first\n- second\n'
    check(text === wantText, `the snapshot's text is ${JSON.stringify(text)}`)
    const markdown = await api('GET', `${room}/snapshot?format=markdown`)
    const wantMarkdown = '# Launch plan\n\nShip **bold** today and tested\n\nNotes:\n\n- first\n- second\n'
    check(markdown === wantMarkdown, `the snapshot's Markdown is ${JSON.stringify(markdown)}`)
    await a.page.screenshot({ path: `${outdir}/tiptap-hocuspocus-typed.png` })

    // History: a version, an edit, the version restored: both pages show it and go on.
    const version = (await api('POST', `${room}/versions`, { label: 'typed' })).id
    await typeAtEnd(b.page, ['@Enter', '@Enter', 'A change to undo'])
    await waitDoc(a, hasText('A change to undo'), 'A sees the change')
    const restored = await api('POST', `${room}/versions/${version}/restore`)
    check(restored.changed === true, `restore answered ${JSON.stringify(restored)}`)
    const same = (d) => JSON.stringify(d) === JSON.stringify(fromA)
    await waitDoc(a, same, 'A shows the restored version')
    await waitDoc(b, same, 'B shows the restored version')
    check(await api('GET', `${room}/snapshot?format=markdown`) === markdown, 'the restored document renders as the version did')
    await typeAtEnd(a.page, ['@Enter', '@Enter', 'After the restore'])
    await waitDoc(b, hasText('After the restore'), 'B sees typing after the restore')
    await typeAtEnd(b.page, [' and more'])
    await waitDoc(a, hasText('After the restore and more'), 'A sees typing from B after the restore')
    await b.page.screenshot({ path: `${outdir}/tiptap-hocuspocus-restored.png` })
    check(a.errors.length === 0 && b.errors.length === 0, `page errors: ${[...a.errors, ...b.errors].join('; ')}`)
  }
}

run(scenarios)
