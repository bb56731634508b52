// Browser end-to-end scenarios for a BlockNote editor (npm @blocknote/core, mounted without
// React) on a collab room, through y-websocket (tests/browser/test_blocknote_editor.py) or
// HocuspocusProvider (tests/browser/test_hocuspocus_editors.py); see common.mjs for how
// scenarios are driven. The page is test-only: blocknote_page.mjs bundled by esbuild (from
// web/node_modules), written into a page of the server's own origin (its /healthz, replaced),
// so it connects to /ws/{room} or /hocuspocus as a page collab served would. (A page Playwright made up has
// no address, and Chromium's local-network checks then refuse its socket to 127.0.0.1.)
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { WAIT, baseUrl, check, log, outdir, run } from './common.mjs'
import { require } from './chromium.mjs'

const INTEROP = fileURLToPath(new URL('../interop/node_modules', import.meta.url))
const ENTRY = fileURLToPath(new URL('./blocknote_page.mjs', import.meta.url))
// name -> JWT, when the server has a secret (Alice and Bob edit, Owner is the room's admin).
const TOKENS = JSON.parse(process.env.COLLAB_E2E_TOKENS || '{}')

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
    '<body><main><div id="editor" data-room="@ROOM" data-name="@NAME" data-transport="@TRANSPORT" data-token="@TOKEN"></div></main>' +
    `<script type="module">${script}</script></body></html>`
}

/** A page of its own (own context) with a BlockNote editor on `room`, synced, through
 *  `transport` ("ws" or "hocuspocus"), with `name`'s token if there is one. */
async function openBlockNote (browser, html, room, name, transport) {
  const context = await browser.newContext({ viewport: { width: 900, height: 700 }, baseURL: baseUrl })
  const page = await context.newPage()
  const errors = []
  page.on('pageerror', (err) => { errors.push(err.message); log(`[page error ${name}] ${err.message}`) })
  page.on('console', (msg) => { if (msg.type() === 'error') log(`[console ${name}] ${msg.text()}`) })
  await page.goto('/healthz')
  await page.setContent(html.replace('@ROOM', room).replace('@NAME', name)
    .replace('@TRANSPORT', transport).replace('@TOKEN', TOKENS[name] || ''))
  try {
    await page.waitForFunction(() => window.blocknote?.synced, null, { timeout: WAIT })
  } catch (err) {
    const now = await page.evaluate(() => ({ authenticated: window.blocknote?.authenticated, denied: window.blocknote?.denied }))
    throw new Error(`${name} never synced: ${JSON.stringify(now)}`)
  }
  if (transport === 'hocuspocus') {
    const scope = await page.evaluate(() => window.blocknote.authenticated)
    check(scope === 'read-write', `${name} was admitted with scope ${scope}`)
  }
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

/** Put the caret at the end of the block whose text starts with `start` (the last block when
 *  null) by BlockNote's own API: a click and then End or Control+End raced (the keys went
 *  where the click had left the caret, in the middle of a word). */
async function caretAtEnd (page, start = null) {
  await page.evaluate((start) => {
    const editor = window.blocknote.editor
    const blocks = editor.document
    const text = (block) => (block.content || []).map((c) => c.text ?? '').join('')
    const block = start === null ? blocks[blocks.length - 1] : blocks.find((b) => text(b).startsWith(start))
    editor.focus()
    editor.setTextCursorPosition(block, 'end')
  }, start)
}

async function typeAtEnd (page, keys) {
  await caretAtEnd(page)
  for (const key of keys) {
    if (key.startsWith('@')) await page.keyboard.press(key.slice(1))
    else await page.keyboard.type(key, { delay: 15 })
  }
}

/** The REST calls' headers: the admin's token when there is one. */
function headers (json) {
  const all = TOKENS.Owner ? { authorization: `Bearer ${TOKENS.Owner}` } : {}
  return json ? { ...all, 'content-type': 'application/json' } : all
}

async function snapshot (room, format, version) {
  const query = version ? `&version=${version}` : ''
  const res = await fetch(`${baseUrl}/api/rooms/${room}/snapshot?format=${format}${query}`, { headers: headers() })
  check(res.status === 200, `${format} snapshot: ${res.status}`)
  return res.text()
}

const markdown = (room, version) => snapshot(room, 'markdown', version)

/** The other person's collaboration cursor, with their name on it, in `opened`'s page. */
async function waitCursor (opened, other) {
  try {
    await opened.page.waitForFunction((n) => [...document.querySelectorAll('#editor .bn-collaboration-cursor__base .bn-collaboration-cursor__label')]
      .some((el) => el.textContent === n), other, { timeout: WAIT })
  } catch (err) {
    const labels = await opened.page.evaluate(() => [...document.querySelectorAll('[class*="collaboration-cursor"]')].map((el) => el.outerHTML))
    throw new Error(`${opened.name} never showed ${other}'s cursor: ${JSON.stringify(labels)}`)
  }
}

async function api (method, path, body) {
  const res = await fetch(`${baseUrl}/api/rooms/${path}`, {
    method, headers: headers(true), body: body && JSON.stringify(body)
  })
  const answer = await res.json().catch(() => null)
  check(res.ok, `${method} ${path}: ${res.status} ${JSON.stringify(answer)}`)
  return answer
}

/** Two BlockNote editors on one room through `transport`: typing in both converges, each shows
 *  the other's cursor with their name, the server renders what was typed as text and Markdown,
 *  and a version restored comes back into both editors, which go on. */
async function twoPages (browser, room, transport) {
  await api('PUT', room)
  const html = await bundle()
  const a = await openBlockNote(browser, html, room, 'Alice', transport)
  const b = await openBlockNote(browser, html, room, 'Bob', transport)
  await typeAtEnd(a.page, ['# Launch plan', '@Enter', 'Ship ', '@Control+b', 'bold', '@Control+b', ' today',
    '@Enter', '- first', '@Enter', 'second'])
  await waitBlocks(b, (all) => texts(all).includes('bulletListItem:second'), 'B sees what A typed')
  // Both at once: A finishes the paragraph while B adds a numbered list and a check list at
  // the end (Enter twice leaves the bullet list).
  await Promise.all([
    (async () => {
      await caretAtEnd(a.page, 'Ship')
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
  const text = await snapshot(room, 'text')
  const expectedText = 'Launch plan\n\nShip bold today and tested\n\n- first\n- second\n\n' +
    '1. one\n2. two\n\n- [ ] check me\n'
  check(text === expectedText, `the snapshot's text is ${JSON.stringify(text)}`)
  await waitCursor(a, 'Bob')
  await waitCursor(b, 'Alice')
  await a.page.screenshot({ path: `${outdir}/blocknote-${transport}-typed.png` })

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
  await typeAtEnd(b.page, [' and more'])
  await waitBlocks(a, (all) => texts(all).some((t) => t.endsWith(':After the restore and more')), 'A sees typing from B after the restore')
  await b.page.screenshot({ path: `${outdir}/blocknote-${transport}-restored.png` })
  check(a.errors.length === 0 && b.errors.length === 0, `page errors: ${[...a.errors, ...b.errors].join('; ')}`)
}

const scenarios = {
  'blocknote-two-pages': (browser) => twoPages(browser, 'blocknote-room', 'ws'),
  'blocknote-hocuspocus-two-pages': (browser) => twoPages(browser, 'blocknote-hp-room', 'hocuspocus')
}

run(scenarios)
