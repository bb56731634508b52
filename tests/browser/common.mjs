// Shared helpers of the browser end-to-end scenarios (editor_e2e.mjs, rich_e2e.mjs).
//
//   node SCRIPT SCENARIO HTTP_URL OUTDIR
//
// Prints "@@control stop|start|..." when the server must change state and waits for a line on
// stdin before going on. Exits 0 when the scenario passed, 1 with a message otherwise.
import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { ARGS, CHROMIUM, chromium, require } from './chromium.mjs'

const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8')
// The pytest worker's Chromium (browser_server.mjs), if it has one; else this script launches
// its own.
const ENDPOINT = process.env.COLLAB_BROWSER_ENDPOINT
export const WAIT = 30000 // ms for anything the page should do: generous, since four workers share two cores

const [scenarioName, baseUrl, outdir] = process.argv.slice(2)
export { baseUrl, outdir }
const stdinLines = createInterface({ input: process.stdin })[Symbol.asyncIterator]()

/** Ask the pytest side to stop or start the server; resolves when it is done. */
export async function control (command) {
  process.stdout.write(`@@control ${command}\n`)
  const { value, done } = await stdinLines.next()
  if (done || value.trim() !== 'ok') throw new Error(`control ${command}: got ${value}`)
}

export function check (ok, message) {
  if (!ok) throw new Error(message)
}

export function log (message) {
  process.stdout.write(`${message}\n`)
}

/** A fresh browser context (own storage and IndexedDB) with one editor page for `room`
 * (`query`: e.g. "?kind=rich" for a new rich document). */
export async function openEditor (browser, room, { name, viewport = { width: 900, height: 640 }, query = '', serviceWorkers = 'allow' } = {}) {
  const context = await browser.newContext({ viewport, baseURL: baseUrl, serviceWorkers })
  if (name) {
    await context.addInitScript((n) => {
      if (!localStorage.getItem('collab:user-name')) localStorage.setItem('collab:user-name', n)
    }, name)
  }
  const page = await context.newPage()
  page.on('dialog', (dialog) => dialog.accept())
  page.on('pageerror', (err) => log(`[page error] ${err.message}`))
  page.on('console', (msg) => { if (msg.type() === 'error') log(`[console] ${msg.text()}`) })
  await page.goto(`/d/${encodeURIComponent(room)}${query}`)
  await waitStatus(page, 'connected')
  await page.waitForFunction(() => window.collab, null, { timeout: WAIT })
  return { context, page }
}

/**
 * A fresh context with one page at `path` (e.g. "/d/room#token=…"); does not wait for a status.
 * `sockets` collects every WebSocket the page opens, `requests` every non-navigation request URL.
 * A scenario that intercepts the page's requests (page.route) passes serviceWorkers: 'block':
 * once the editor's service worker controls the page, which happens at a moment of its own, the
 * page's requests go through it and page.route no longer sees them.
 */
export async function openPage (browser, path, { viewport = { width: 1100, height: 700 }, context, serviceWorkers = 'allow' } = {}) {
  context = context || await browser.newContext({ viewport, baseURL: baseUrl, serviceWorkers })
  const page = await context.newPage()
  const sockets = []
  const requests = []
  page.on('websocket', (ws) => sockets.push({ url: ws.url(), at: Date.now() }))
  page.on('request', (req) => { if (!req.isNavigationRequest()) requests.push(req.url()) })
  page.on('dialog', (dialog) => dialog.accept())
  page.on('pageerror', (err) => log(`[page error] ${err.message}`))
  await page.goto(path)
  return { context, page, sockets, requests }
}

export async function waitStatus (page, ...statuses) {
  let timeout = WAIT
  if (typeof statuses[statuses.length - 1] === 'number') timeout = statuses.pop()
  try {
    await page.waitForFunction((s) => s.includes(document.getElementById('status')?.dataset.status),
      statuses, { timeout })
  } catch (err) {
    const now = await page.evaluate(() => document.getElementById('status')?.dataset.status)
    throw new Error(`status never became ${statuses.join('/')} (is ${now})`)
  }
}

export async function waitSaved (page, state = 'saved') {
  try {
    await page.waitForFunction((s) => document.getElementById('saved')?.dataset.state === s,
      state, { timeout: WAIT })
  } catch (err) {
    const now = await page.evaluate(() => document.getElementById('saved')?.textContent)
    throw new Error(`saved indicator never became ${state} (reads "${now}")`)
  }
}

/** Two page screenshots composed side by side into one PNG. */
export async function sideBySide (browser, pages, file) {
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

/** Put the rich editor's cursor at the end of the document and wait until the editor has the
 * keyboard: Tiptap's `focus` command focuses the view in an animation frame after it returns,
 * and a key pressed before that goes to the page, not the document. */
export async function focusEnd (page) {
  await page.evaluate(() => window.collab.editor.commands.focus('end'))
  await page.waitForFunction(() => window.collab.editor.view.hasFocus(), null, { timeout: WAIT })
}

/** The version-list entries of a page's History panel: [{id, kind, text, isNew}]. */
export function versionItems (page) {
  return page.evaluate(() => [...document.querySelectorAll('#version-list .version-item')].map((el) => ({
    id: Number(el.dataset.versionId),
    kind: el.dataset.kind,
    label: el.querySelector('.version-label').textContent,
    text: el.textContent,
    isNew: el.classList.contains('is-new')
  })))
}

export async function waitVersions (page, predicate, what) {
  const deadline = Date.now() + WAIT
  let items = []
  while (Date.now() < deadline) {
    items = await versionItems(page)
    if (predicate(items)) return items
    await page.waitForTimeout(100)
  }
  const message = await page.evaluate(() => document.getElementById('history-message').textContent)
  throw new Error(`${what}: versions are ${JSON.stringify(items)}; message ${JSON.stringify(message)}`)
}

/** The preview's diff as [{op, text}] from the rendered <ins>/<del>/text nodes. */
export function previewOps (page) {
  return page.evaluate(() => [...document.getElementById('diff-view').childNodes].map((node) => ({
    op: node.nodeName === 'INS' ? 'insert' : node.nodeName === 'DEL' ? 'delete' : node.nodeType === 3 ? 'equal' : node.className,
    text: node.textContent
  })))
}

export async function openHistory (page) {
  if (await page.isHidden('#side-panel')) await page.click('#side-toggle')
  await page.waitForSelector('#side-panel', { state: 'visible', timeout: WAIT })
  check(await page.getAttribute('#side-toggle', 'aria-expanded') === 'true', 'History button not expanded')
}

/**
 * axe-core's violations of `page` as it is now; throws on any serious or critical one
 * (`what` names the page and state in the message).
 */
export async function checkAxe (page, what) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.addScriptTag({ content: AXE_SOURCE })
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] })
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ') + ': ' + n.failureSummary) }))
  })
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
  check(bad.length === 0, `${what}: axe found ${JSON.stringify(bad, null, 1)}`)
  return violations
}

// Where the state screenshots go (1280 and 390 px wide, light and dark): COLLAB_SHOTS or
// OUTDIR/states.
export const SHOTS = process.env.COLLAB_SHOTS || join(outdir || '.', 'states')
export const LOOKS = [
  { width: 1280, height: 800, scheme: 'light' },
  { width: 1280, height: 800, scheme: 'dark' },
  { width: 390, height: 844, scheme: 'light' },
  { width: 390, height: 844, scheme: 'dark' }
]

/**
 * Wait until `page` is still: no form busy with a request (history's Save and Restore dim their
 * buttons while one is under way, and draw them again once it answers) and no transition or
 * finite animation running, so that axe-core measures the colours the page settles on.
 */
function settled (page) {
  return page.waitForFunction(() => !document.querySelector('.is-busy') && document.getAnimations().every((a) => a.playState !== 'running' || a.effect?.getTiming().iterations === Infinity), null, { timeout: WAIT })
}

/** Resolves once `page` has drawn two more frames: the style and layout of a change made before
 * the call are done, and any transition it started is listed by `document.getAnimations()`. */
function nextFrames (page) {
  return page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))))
}

/** Screenshot `page` as `name` in every look, checking it with axe-core in each. */
export async function captureLooks (page, name) {
  mkdirSync(SHOTS, { recursive: true })
  for (const look of LOOKS) {
    await page.setViewportSize({ width: look.width, height: look.height })
    await page.emulateMedia({ colorScheme: look.scheme, reducedMotion: 'reduce' })
    await nextFrames(page)
    await settled(page)
    await page.screenshot({ path: join(SHOTS, `${name}-${look.width}-${look.scheme}.png`) })
    await checkAxe(page, `${name} at ${look.width} px, ${look.scheme}`)
  }
  // Back to the first look, so the scenario goes on as it started.
  await page.setViewportSize({ width: LOOKS[0].width, height: LOOKS[0].height })
  await page.emulateMedia({ colorScheme: LOOKS[0].scheme })
}

/** Run the scenario named on the command line; exit 0 when it passed, 1 otherwise. */
export async function run (scenarios) {
  try {
    const scenario = scenarios[scenarioName]
    if (!scenario) throw new Error(`unknown scenario ${scenarioName}`)
    mkdirSync(outdir, { recursive: true })
    const browser = ENDPOINT
      ? await chromium.connect(ENDPOINT)
      : await chromium.launch({ executablePath: CHROMIUM, args: ARGS })
    try {
      await scenario(browser)
    } finally {
      await browser.close() // a connected browser: its contexts close, the browser stays
    }
  } catch (err) {
    log(`FAIL ${scenarioName}: ${err.stack || err}`)
    process.exit(1)
  }
  log(`PASS ${scenarioName}`)
  process.exit(0)
}
