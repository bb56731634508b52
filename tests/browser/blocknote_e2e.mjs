// Browser end-to-end scenario for a BlockNote editor (npm @blocknote/core, mounted without
// React) on a collab room, run by tests/browser/test_blocknote_editor.py; see common.mjs for
// how scenarios are driven. The page is test-only: blocknote_page.mjs bundled by esbuild (from
// web/node_modules), written into a page of the server's own origin (its /healthz, replaced),
// so it connects to /ws/{room} as a page collab served would. (A page Playwright made up has
// no address, and Chromium's local-network checks then refuse its socket to 127.0.0.1.)
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { WAIT, baseUrl, check, log, outdir, run } from './common.mjs'
import { require } from './chromium.mjs'

const INTEROP = fileURLToPath(new URL('../interop/node_modules', import.meta.url))
const ENTRY = fileURLToPath(new URL('./blocknote_page.mjs', import.meta.url))

async function bundle () {
  const { build } = require('esbuild')
  const built = await build({
    entryPoints: [ENTRY],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    nodePaths: [INTEROP],
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'warning'
  })
  const style = readFileSync(`${INTEROP}/@blocknote/core/dist/style.css`, 'utf8')
  const script = built.outputFiles[0].text.replaceAll('</script', '<\\/script')
  return '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>BlockNote on collab</title>' +
    `<style>${style} body { font: 16px sans-serif; margin: 2rem; }</style></head>` +
    '<body><main><div id="editor" data-room="@ROOM" data-name="@NAME"></div></main>' +
    `<script type="module">${script}</script></body></html>`
}

/** A page of its own (own context) with a BlockNote editor on `room`, synced. */
async function openBlockNote (browser, html, room, name) {
  const context = await browser.newContext({ viewport: { width: 900, height: 700 }, baseURL: baseUrl })
  const page = await context.newPage()
  const errors = []
  page.on('pageerror', (err) => { errors.push(err.message); log(`[page error ${name}] ${err.message}`) })
  page.on('console', (msg) => { if (msg.type() === 'error') log(`[console ${name}] ${msg.text()}`) })
  await page.goto('/healthz')
  await page.setContent(html.replace('@ROOM', room).replace('@NAME', name))
  await page.waitForFunction(() => window.blocknote?.synced, null, { timeout: WAIT })
  return { context, page, errors, name }
}

/** The editor's blocks (BlockNote's JSON), once `predicate` holds of them. */
async function waitBlocks (opened, predicate, what) {
  const deadline = Date.now() + WAIT
  let now = null
  while (Date.now() < deadline) {
    now = await blocks(opened)
    if (predicate(now)) return now
    await opened.page.waitForTimeout(100)
  }
  throw new Error(`${what} (${opened.name}): blocks are ${JSON.stringify(now)}`)
}

function blocks (opened) {
  return opened.page.evaluate(() => window.blocknote.editor.document)
}

const texts = (all) => all.map((b) => `${b.type}:${(b.content || []).map((c) => c.text ?? '').join('')}`)

async function typeAtEnd (page, keys) {
  await page.click('#editor')
  await page.keyboard.press('Control+End')
  for (const key of keys) {
    if (key.startsWith('@')) await page.keyboard.press(key.slice(1))
    else await page.keyboard.type(key, { delay: 15 })
  }
}

async function markdown (room, version) {
  const query = version ? `&version=${version}` : ''
  const res = await fetch(`${baseUrl}/api/rooms/${room}/snapshot?format=markdown${query}`)
  check(res.status === 200, `markdown snapshot: ${res.status}`)
  return res.text()
}

async function api (method, path, body) {
  const res = await fetch(`${baseUrl}/api/rooms/${path}`, {
    method, headers: { 'content-type': 'application/json' }, body: body && JSON.stringify(body)
  })
  const answer = await res.json().catch(() => null)
  check(res.ok, `${method} ${path}: ${res.status} ${JSON.stringify(answer)}`)
  return answer
}

const scenarios = {
  /** Two BlockNote editors on one room: typing in both converges, the server renders what was
   *  typed as Markdown, and a version restored comes back into both editors, which go on. */
  async 'blocknote-two-pages' (browser) {
    const room = 'blocknote-room'
    await api('PUT', room)
    const html = await bundle()
    const a = await openBlockNote(browser, html, room, 'Alice')
    const b = await openBlockNote(browser, html, room, 'Bob')
    await typeAtEnd(a.page, ['# Launch plan', '@Enter', 'Ship ', '@Control+b', 'bold', '@Control+b', ' today',
      '@Enter', '- first', '@Enter', 'second'])
    await waitBlocks(b, (all) => texts(all).includes('bulletListItem:second'), 'B sees what A typed')
    // Both at once: A finishes the paragraph while B adds a numbered list and a check list at
    // the end (Enter twice leaves the bullet list).
    await Promise.all([
      (async () => {
        await a.page.click('#editor p:has-text("Ship")')
        await a.page.keyboard.press('End')
        await a.page.keyboard.type(' and tested', { delay: 15 })
      })(),
      typeAtEnd(b.page, ['@Enter', '@Enter', '1. one', '@Enter', 'two', '@Enter', '@Enter', '[ ] check me'])
    ])
    const want = ['paragraph:Ship bold today and tested', 'bulletListItem:first', 'bulletListItem:second', 'numberedListItem:one', 'numberedListItem:two', 'checkListItem:check me']
    const done = (all) => want.every((w) => texts(all).includes(w))
    const fromA = await waitBlocks(a, done, 'A has both')
    await waitBlocks(b, (all) => JSON.stringify(all) === JSON.stringify(fromA), 'B converges with A')
    log(`typed: ${JSON.stringify(texts(fromA))}`)
    const typed = await markdown(room)
    const expected = '# Launch plan\n\nShip **bold** today and tested\n\n- first\n- second\n\n' +
      '1. one\n2. two\n\n- [ ] check me\n'
    check(typed === expected, `the snapshot's Markdown is ${JSON.stringify(typed)}`)
    await a.page.screenshot({ path: `${outdir}/blocknote-typed.png` })

    // History: a version, an edit, the version restored: both editors show it and go on.
    const version = (await api('POST', `${room}/versions`, { label: 'typed' })).id
    await typeAtEnd(b.page, ['@Enter', 'A change to undo'])
    await waitBlocks(a, (all) => texts(all).some((t) => t.endsWith(':A change to undo')), 'A sees the change')
    const restored = await api('POST', `${room}/versions/${version}/restore`)
    check(restored.changed === true, `restore answered ${JSON.stringify(restored)}`)
    // The very blocks: ids, types, props and text, as they were when the version was saved.
    const same = (all) => JSON.stringify(all) === JSON.stringify(fromA)
    await waitBlocks(a, same, 'A shows the restored version')
    await waitBlocks(b, same, 'B shows the restored version')
    check(await markdown(room) === typed, 'the restored document renders as the version did')
    check(await markdown(room, version) === typed, 'the version renders as the document did')
    await typeAtEnd(a.page, ['@Enter', 'After the restore'])
    await waitBlocks(b, (all) => texts(all).some((t) => t.endsWith(':After the restore')), 'B sees typing after the restore')
    await b.page.screenshot({ path: `${outdir}/blocknote-restored.png` })
    check(a.errors.length === 0 && b.errors.length === 0, `page errors: ${[...a.errors, ...b.errors].join('; ')}`)
  }
}

run(scenarios)
