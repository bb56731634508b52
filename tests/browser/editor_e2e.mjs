// Browser end-to-end scenarios for the collab editor, run by tests/browser/test_editor.py.
//
//   node editor_e2e.mjs SCENARIO HTTP_URL OUTDIR
//
// Prints "@@control stop|start" when the server must change state and waits for a line on
// stdin before going on. Exits 0 when the scenario passed, 1 with a message otherwise.
import { createRequire } from 'node:module'
import { mkdirSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { join } from 'node:path'

const require = createRequire(new URL('../../web/package.json', import.meta.url))
const { chromium } = require('playwright-core')

const CHROMIUM = process.env.COLLAB_CHROMIUM || '/usr/bin/chromium'
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync']
const WAIT = 15000

const [scenarioName, baseUrl, outdir] = process.argv.slice(2)
const stdinLines = createInterface({ input: process.stdin })[Symbol.asyncIterator]()

/** Ask the pytest side to stop or start the server; resolves when it is done. */
async function control (command) {
  process.stdout.write(`@@control ${command}\n`)
  const { value, done } = await stdinLines.next()
  if (done || value.trim() !== 'ok') throw new Error(`control ${command}: got ${value}`)
}

function check (ok, message) {
  if (!ok) throw new Error(message)
}

function log (message) {
  process.stdout.write(`${message}\n`)
}

/** A fresh browser context (own storage and IndexedDB) with one editor page for `room`. */
async function openEditor (browser, room, { name, viewport = { width: 900, height: 640 } } = {}) {
  const context = await browser.newContext({ viewport, baseURL: baseUrl })
  if (name) {
    await context.addInitScript((n) => {
      if (!localStorage.getItem('collab:user-name')) localStorage.setItem('collab:user-name', n)
    }, name)
  }
  const page = await context.newPage()
  page.on('dialog', (dialog) => dialog.accept())
  page.on('pageerror', (err) => log(`[page error] ${err.message}`))
  page.on('console', (msg) => { if (msg.type() === 'error') log(`[console] ${msg.text()}`) })
  await page.goto(`/d/${encodeURIComponent(room)}`)
  await waitStatus(page, 'connected')
  return { context, page }
}

async function waitStatus (page, ...statuses) {
  try {
    await page.waitForFunction((s) => s.includes(document.getElementById('status')?.dataset.status),
      statuses, { timeout: WAIT })
  } catch (err) {
    const now = await page.evaluate(() => document.getElementById('status')?.dataset.status)
    throw new Error(`status never became ${statuses.join('/')} (is ${now})`)
  }
}

async function waitSaved (page, state = 'saved') {
  try {
    await page.waitForFunction((s) => document.getElementById('saved')?.dataset.state === s,
      state, { timeout: WAIT })
  } catch (err) {
    const now = await page.evaluate(() => document.getElementById('saved')?.textContent)
    throw new Error(`saved indicator never became ${state} (reads "${now}")`)
  }
}

function editorText (page) {
  return page.evaluate(() => window.collab.view.state.doc.toString())
}

async function waitText (page, predicate, what) {
  const deadline = Date.now() + WAIT
  let text = ''
  while (Date.now() < deadline) {
    text = await editorText(page)
    if (predicate(text)) return text
    await page.waitForTimeout(100)
  }
  throw new Error(`${what}: editor text is ${JSON.stringify(text)}`)
}

async function typeAt (page, where, words) {
  await page.click('.cm-content')
  await page.keyboard.press(where === 'start' ? 'Control+Home' : 'Control+End')
  await page.keyboard.type(words, { delay: 15 })
}

/** Two page screenshots composed side by side into one PNG. */
async function sideBySide (browser, pages, file) {
  const shots = await Promise.all(pages.map((p) => p.screenshot()))
  const sizes = pages.map((p) => p.viewportSize())
  const context = await browser.newContext({
    viewport: { width: sizes.reduce((w, s) => w + s.width, 0) + 24, height: Math.max(...sizes.map((s) => s.height)) + 16 }
  })
  const page = await context.newPage()
  const imgs = shots.map((b) => `<img src="data:image/png;base64,${b.toString('base64')}">`).join('')
  await page.setContent(`<body style="margin:0;padding:8px;display:flex;gap:8px;background:#c9ced6">${imgs}</body>`)
  await page.screenshot({ path: file })
  await context.close()
}

const scenarios = {
  /** Two people type at the same time at different places; both converge with both words. */
  async concurrent (browser) {
    const room = 'concurrent-room'
    const a = await openEditor(browser, room, { name: 'Alice' })
    const b = await openEditor(browser, room, { name: 'Bob' })
    await typeAt(a.page, 'end', 'Meeting notes\n\nAgenda: ship the editor.\n')
    await waitText(b.page, (t) => t.includes('Agenda: ship the editor.'), 'B never saw A\'s first line')
    await Promise.all([
      typeAt(a.page, 'start', 'Alice wrote this first. '),
      typeAt(b.page, 'end', 'Bob added this at the end.')
    ])
    const want = (t) => t.includes('Alice wrote this first. ') && t.includes('Bob added this at the end.')
    const textA = await waitText(a.page, want, 'A misses words')
    const textB = await waitText(b.page, (t) => t === textA, 'B differs from A')
    check(textA === textB, 'texts differ')
    check(textA.indexOf('Alice wrote') < textA.indexOf('Bob added'), `bad order: ${textA}`)
    await Promise.all([waitSaved(a.page), waitSaved(b.page)])
    await b.page.click('.cm-content')
    await b.page.keyboard.press('Control+Home')
    await b.page.keyboard.press('ArrowDown')
    await b.page.keyboard.press('ArrowDown')
    await a.page.waitForSelector('.cm-ySelectionInfo', { timeout: WAIT })
    await b.page.waitForSelector('.cm-ySelectionInfo', { timeout: WAIT })
    await sideBySide(browser, [a.page, b.page], join(outdir, 'two-editors.png'))
    const phone = await openEditor(browser, room, { name: 'Carol', viewport: { width: 390, height: 720 } })
    await waitText(phone.page, (t) => t === textA, 'phone page')
    await phone.page.screenshot({ path: join(outdir, 'phone.png') })
    log(`final text: ${JSON.stringify(textA)}`)
  },

  /** B sees A's caret labelled with the name A chose in the inline name field. */
  async cursor (browser) {
    const room = 'cursor-room'
    const a = await openEditor(browser, room)
    const b = await openEditor(browser, room, { name: 'Bob' })
    check(await a.page.isVisible('#name-prompt'), 'first visit shows no name prompt')
    await a.page.fill('#name-input', 'Alice Example')
    await a.page.press('#name-input', 'Enter')
    check(!(await a.page.isVisible('#name-prompt')), 'name prompt stays open')
    await typeAt(a.page, 'end', 'Hello from Alice')
    try {
      await b.page.waitForFunction(() => [...document.querySelectorAll('.cm-ySelectionInfo')]
        .some((el) => el.textContent === 'Alice Example'), null, { timeout: WAIT })
    } catch (err) {
      const seen = await b.page.evaluate(() => ({
        labels: [...document.querySelectorAll('.cm-ySelectionInfo')].map((el) => el.textContent),
        users: [...window.collab.provider.awareness.getStates().values()].map((s) => s.user?.name)
      }))
      throw new Error(`B does not show A's caret as "Alice Example": ${JSON.stringify(seen)}`)
    }
    await b.page.waitForSelector('#presence [data-name="Alice Example"]', { timeout: WAIT })
    const visible = await b.page.evaluate(() => {
      const label = document.querySelector('.cm-ySelectionInfo')
      return getComputedStyle(label).opacity
    })
    check(visible === '1', `caret label opacity ${visible}`)
    await a.page.reload()
    await waitStatus(a.page, 'connected')
    check(!(await a.page.isVisible('#name-prompt')), 'name prompt shown again after reload')
  },

  /** Text survives a reload (from the server) and a server restart (from the database). */
  async reload (browser) {
    const room = 'reload-room'
    const a = await openEditor(browser, room, { name: 'Alice' })
    await typeAt(a.page, 'end', 'Words that must survive.')
    await waitSaved(a.page)
    await a.page.reload()
    await waitStatus(a.page, 'connected')
    await waitText(a.page, (t) => t === 'Words that must survive.', 'after reload')
    await control('stop')
    await control('start')
    // A fresh context has no IndexedDB copy: the text can only come from the database.
    const c = await openEditor(browser, room, { name: 'Carol' })
    await waitText(c.page, (t) => t === 'Words that must survive.', 'fresh page after restart')
    await a.page.reload()
    await waitStatus(a.page, 'connected')
    await waitText(a.page, (t) => t === 'Words that must survive.', 'reload after restart')
  },

  /** A goes offline, types, comes back; B gets A's offline words only after that. */
  async offline (browser) {
    const room = 'offline-room'
    const a = await openEditor(browser, room, { name: 'Alice' })
    const b = await openEditor(browser, room, { name: 'Bob' })
    await typeAt(a.page, 'end', 'Online line.\n')
    await waitText(b.page, (t) => t.includes('Online line.'), 'B before offline')
    await a.context.setOffline(true)
    await waitStatus(a.page, 'offline')
    await typeAt(a.page, 'end', 'Written while offline.')
    await waitSaved(a.page, 'unsaved')
    await b.page.waitForTimeout(1500)
    const textB = await editorText(b.page)
    check(!textB.includes('offline'), `B got offline words while A was offline: ${textB}`)
    check(await a.page.evaluate(() => window.collab.provider.ws === null), 'A still has a socket')
    await a.context.setOffline(false)
    await waitStatus(a.page, 'connected')
    await waitText(b.page, (t) => t.includes('Written while offline.'), 'B after A came back')
    await waitSaved(a.page)
  },

  /** Status shows the server going away and coming back; the page even reloads meanwhile. */
  async 'server-down' (browser) {
    const room = 'down-room'
    const a = await openEditor(browser, room, { name: 'Alice' })
    await typeAt(a.page, 'end', 'Before the outage.')
    await waitSaved(a.page)
    await a.page.waitForFunction(async () => {
      await navigator.serviceWorker.ready
      return !!(await caches.match(location.pathname))
    }, null, { timeout: WAIT })
    await control('stop')
    await waitStatus(a.page, 'reconnecting', 'offline')
    await typeAt(a.page, 'end', ' During the outage.')
    await waitSaved(a.page, 'unsaved')
    // Reload with the server down: the service worker serves the page, IndexedDB the text.
    await a.page.reload()
    await waitText(a.page, (t) => t === 'Before the outage. During the outage.', 'offline reload')
    await waitStatus(a.page, 'reconnecting', 'offline')
    await waitSaved(a.page, 'unsaved')
    await control('start')
    await waitStatus(a.page, 'connected')
    await waitSaved(a.page)
    const b = await openEditor(browser, room, { name: 'Bob' })
    await waitText(b.page, (t) => t === 'Before the outage. During the outage.', 'B after outage')
  },

  /** Typing goes Saving… then All changes saved, driven by the server's acks. */
  async saved (browser) {
    const room = 'saved-room'
    const a = await openEditor(browser, room, { name: 'Alice' })
    await typeAt(a.page, 'end', 'Is this saved?')
    await waitSaved(a.page)
    const label = await a.page.textContent('#saved')
    check(label === 'All changes saved', `label reads ${label}`)
    const { sent, acked } = await a.page.evaluate(() => {
      const t = window.collab.tracker
      return { sent: t.sent, acked: t.acked }
    })
    check(sent >= 14 && acked >= sent, `sent ${sent} update messages, server acked ${acked}`)
  },

  /** Undo removes only my own typing, not the other person's. */
  async undo (browser) {
    const room = 'undo-room'
    const a = await openEditor(browser, room, { name: 'Alice' })
    const b = await openEditor(browser, room, { name: 'Bob' })
    await typeAt(a.page, 'end', 'mine ')
    await waitText(b.page, (t) => t === 'mine ', 'B sees A')
    await typeAt(b.page, 'end', 'theirs')
    await waitText(a.page, (t) => t === 'mine theirs', 'A sees B')
    await a.page.keyboard.press('Control+z')
    await waitText(a.page, (t) => t === 'theirs', 'undo removed the wrong text')
    await waitText(b.page, (t) => t === 'theirs', 'B after A undo')
    await a.page.keyboard.press('Control+Shift+Z')
    await waitText(b.page, (t) => t === 'mine theirs', 'redo')
    await a.page.keyboard.press('Control+z')
    await waitText(b.page, (t) => t === 'theirs', 'second undo')
    await a.page.keyboard.press('Control+y')
    await waitText(b.page, (t) => t === 'mine theirs', 'redo with Mod-y')
  }
}

async function main () {
  const scenario = scenarios[scenarioName]
  if (!scenario) throw new Error(`unknown scenario ${scenarioName}`)
  mkdirSync(outdir, { recursive: true })
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS })
  try {
    await scenario(browser)
  } finally {
    await browser.close()
  }
}

main().then(() => {
  log(`PASS ${scenarioName}`)
  process.exit(0)
}, (err) => {
  log(`FAIL ${scenarioName}: ${err.stack || err}`)
  process.exit(1)
})
