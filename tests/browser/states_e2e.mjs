// Every state of the editor page, and the other pages, in real Chromium against a real server:
// each looks as designed (only what belongs to it is on screen, a way forward), passes axe-core
// (no serious or critical violation) at 1280 and 390 px in light and dark, and is screenshotted
// (COLLAB_SHOTS, default OUTDIR/states). Run by tests/browser/test_states.py.
//
//   node states_e2e.mjs SCENARIO HTTP_URL OUTDIR
import {
  WAIT, baseUrl, captureLooks, check, checkAxe, control, openEditor, openHistory, openPage, run,
  waitSaved, waitStatus
} from './common.mjs'

const TOKENS = JSON.parse(process.env.COLLAB_E2E_TOKENS || '{}')

async function typeAt (page, words) {
  await page.click('.cm-content')
  await page.keyboard.press('Control+End')
  await page.keyboard.type(words, { delay: 10 })
}

async function waitView (page, view) {
  try {
    await page.waitForFunction((v) => document.body.dataset.view === v, view, { timeout: WAIT })
  } catch {
    throw new Error(`view never became ${view} (is ${await page.evaluate(() => document.body.dataset.view)})`)
  }
}

/** What a final screen shows: its state, title, buttons, and what else is visible. */
async function finalScreen (page) {
  await waitView(page, 'blocked')
  return page.evaluate(() => {
    const visible = (sel) => [...document.querySelectorAll(sel)].some((el) => el.checkVisibility())
    const screen = document.getElementById('state-screen')
    return {
      state: screen.dataset.state,
      title: screen.querySelector('.state-title').textContent,
      actions: [...screen.querySelectorAll('.state-actions a, .state-actions button')].map((el) => el.textContent),
      reasonLines: document.body.innerText.split('\n').filter((line) => line.startsWith('Server:')).length,
      editor: visible('#editor'),
      namePrompt: visible('#name-prompt'),
      viewOnly: visible('#role-badge'),
      saved: visible('#saved'),
      retry: visible('#banner-retry'),
      unsavedNote: visible('.state-unsaved'),
      focused: document.activeElement && document.activeElement.id,
      tabTitle: document.title
    }
  })
}

/** A final state: exactly its screen and ways forward, nothing to edit, no retry. */
async function expectFinal (page, state, { actions = ['All documents'], unsaved = false } = {}) {
  const seen = await finalScreen(page)
  const wrong = seen.state !== state || seen.editor || seen.namePrompt || seen.viewOnly || seen.saved ||
    seen.retry || seen.reasonLines !== 1 || seen.unsavedNote !== unsaved ||
    JSON.stringify(seen.actions) !== JSON.stringify(actions) || seen.focused !== 'state-title' ||
    seen.tabTitle !== `${seen.title} · collab`
  check(!wrong, `${state}: ${JSON.stringify(seen)}`)
  await captureLooks(page, state)
  return seen
}

async function expectBanner (page, state) {
  await page.waitForFunction((s) => {
    const banner = document.getElementById('connection-banner')
    return !banner.hidden && banner.dataset.state === s
  }, state, { timeout: WAIT })
}

const scenarios = {
  /** Dev server: home, first visit (name prompt focused), connected with two people, keyboard way
   * out, offline with unsaved changes, document deleted, the 404 page. */
  async 'states-dev' (browser) {
    const room = 'team-notes'
    const home = await openPage(browser, '/')
    check(await home.page.isVisible('.new-room-form'), 'home without a secret has no form')
    await captureLooks(home.page, 'home')

    const a = await openPage(browser, `/d/${room}`)
    await waitStatus(a.page, 'connected')
    await waitView(a.page, 'editor')
    await a.page.waitForFunction(() => document.activeElement && document.activeElement.id === 'name-input', null, { timeout: WAIT })
    await captureLooks(a.page, 'first-visit')
    await a.page.fill('#name-input', 'Ada Lovelace')
    await a.page.keyboard.press('Enter')
    await a.page.waitForFunction(() => document.activeElement && document.activeElement.closest('.cm-content'), null, { timeout: WAIT })
    await a.page.keyboard.type('Meeting notes\n\nAgenda: ship the states.\n', { delay: 5 })
    await a.page.keyboard.press('Escape')
    check(await a.page.evaluate(() => document.activeElement.id) === 'side-toggle', 'Esc does not leave the editor')
    await a.page.keyboard.press('Shift+Tab')
    check(await a.page.evaluate(() => document.activeElement.closest('.header-tools') !== null), 'Shift-Tab after Esc left the header')
    // The first Tab stop, before the way home, is "Skip to the document", shown when focused;
    // Enter goes back into the text.
    await a.page.focus('.home-link')
    await a.page.keyboard.press('Shift+Tab')
    const skip = await a.page.evaluate(() => {
      const el = document.activeElement
      return { cls: el.className, top: el.getBoundingClientRect().top }
    })
    check(skip.cls === 'skip-link' && skip.top >= 0, `first Tab stop: ${JSON.stringify(skip)}`)
    await a.page.keyboard.press('Enter')
    check(await a.page.evaluate(() => document.activeElement.closest('.cm-content') !== null), 'the skip link does not reach the text')
    const b = await openEditor(browser, room, { name: 'Grace Hopper' })
    await typeAt(b.page, 'Grace was here.')
    await a.page.waitForFunction(() => document.getElementById('editor').classList.contains('remote-active'), null, { timeout: WAIT })
    await waitSaved(a.page)
    await captureLooks(a.page, 'connected')
    const avatars = await a.page.evaluate(() => [...document.querySelectorAll('#presence .avatar')].map((el) => {
      const text = el.querySelector('button') || el
      const range = document.createRange()
      range.selectNodeContents(text)
      const box = range.getBoundingClientRect()
      const round = el.getBoundingClientRect()
      return { text: text.textContent, fits: box.width <= round.width - 8 && box.height <= round.height - 4 }
    }))
    check(avatars.length === 2 && avatars.every((x) => x.fits), `avatar initials do not fit: ${JSON.stringify(avatars)}`)
    // Name flags do not cover text for ever: gone a moment after Grace stops, back on hover.
    const flagOpacity = (want) => a.page.waitForFunction((w) => {
      const info = document.querySelector('.cm-ySelectionInfo')
      return info && getComputedStyle(info).opacity === w
    }, want, { timeout: WAIT })
    await flagOpacity('0')
    await a.page.hover('.cm-ySelectionCaret')
    await flagOpacity('1')

    await a.context.setOffline(true)
    await waitStatus(a.page, 'offline')
    await typeAt(a.page, 'Written offline.')
    await waitSaved(a.page, 'unsaved')
    await expectBanner(a.page, 'offline')
    check(await a.page.isHidden('#banner-retry'), 'offline offers a retry')
    await captureLooks(a.page, 'offline-unsaved')
    await a.context.setOffline(false)
    await waitStatus(a.page, 'connected')
    await waitSaved(a.page)

    const deleted = await fetch(`${baseUrl}/api/rooms/${room}`, { method: 'DELETE' })
    check(deleted.ok, `DELETE answered ${deleted.status}`)
    await waitStatus(a.page, 'closed')
    await expectFinal(a.page, 'deleted')
    await b.context.close()

    const missing = await openPage(browser, '/nope')
    check(await missing.page.isVisible('a.primary-button[href="/"]'), '404 page has no way home')
    await captureLooks(missing.page, 'error-404')
  },

  /** Dev server: the rich editor with its toolbar, the search panel, the History panel. */
  async 'states-panels' (browser) {
    const rich = await openEditor(browser, 'rich-notes', { name: 'Ada Lovelace', query: '?kind=rich' })
    await rich.page.click('.rich-content')
    await rich.page.keyboard.type('# Plans\n\nShip every state.\n- one\n- two', { delay: 5 })
    await waitSaved(rich.page)
    await rich.page.keyboard.press('Escape')
    check(await rich.page.evaluate(() => document.activeElement.id) === 'side-toggle', 'Esc does not leave the rich editor: ' + await rich.page.evaluate(() => document.activeElement.className))
    await captureLooks(rich.page, 'rich-connected')
    // On a phone the toolbar is one row that scrolls sideways, the mode switch at its end; a
    // tool reached with Tab comes to rest clear of the switch.
    await rich.page.setViewportSize({ width: 390, height: 844 })
    const bar = await rich.page.evaluate(() => {
      const toolbar = document.querySelector('.toolbar')
      const tools = [...toolbar.querySelectorAll('.tool')].filter((tool) => tool.offsetParent !== null)
      const modes = toolbar.querySelector('.mode-switch').getBoundingClientRect()
      // The first tool the switch covers (or that lies past it), reached with the keyboard.
      const covered = tools.find((tool) => !tool.disabled && tool.getBoundingClientRect().right > modes.left)
      covered.focus()
      const tops = new Set(tools.map((tool) => Math.round(tool.getBoundingClientRect().top)))
      return { rows: tops.size, scrolls: toolbar.scrollWidth > toolbar.clientWidth, focusedRight: covered.getBoundingClientRect().right, switchLeft: modes.left, switchTop: Math.round(modes.top), toolTop: [...tops][0] }
    })
    check(bar.rows === 1 && bar.scrolls && bar.focusedRight <= bar.switchLeft + 1 && Math.abs(bar.switchTop - bar.toolTop) < 8,
      `the toolbar at 390 px: ${JSON.stringify(bar)}`)
    await rich.context.close()

    const text = await openEditor(browser, 'search-notes', { name: 'Ada Lovelace' })
    await text.page.click('.cm-content')
    await text.page.keyboard.type('Find the word state here, and state there.', { delay: 5 })
    await text.page.keyboard.press('Control+f')
    await text.page.waitForSelector('.cm-search', { timeout: WAIT })
    await text.page.keyboard.type('state')
    await captureLooks(text.page, 'search')
    await text.page.keyboard.press('Escape')
    check(await text.page.isHidden('.cm-search'), 'Esc does not close the search panel')
    check(await text.page.evaluate(() => document.activeElement.closest('.cm-content') !== null), 'Esc in search left the editor')
    await waitSaved(text.page)
    await openHistory(text.page)
    await text.page.fill('#version-label', 'First draft')
    await text.page.click('#save-version button[type="submit"]')
    await text.page.waitForSelector('#version-list .version-item', { timeout: WAIT })
    await captureLooks(text.page, 'history')
    await typeAt(text.page, ' More since the draft.')
    await text.page.click('#version-list .version-item')
    await text.page.waitForSelector('#diff-view ins.diff-insert', { timeout: WAIT })
    await captureLooks(text.page, 'history-preview')
    await text.context.close()

    // Final states no server here can be made to send (a quarantine needs corrupt stored data;
    // 1008 a request the server cannot accept): the page's own stop with those codes.
    for (const [code, state, actions] of [[4423, 'quarantined', ['All documents']], [1008, 'error', ['Reload the page', 'All documents']]]) {
      const page = await openEditor(browser, `final-${code}`, { name: 'Ada Lovelace' })
      // The page answered the server's SyncStep1 with a SyncStep2, which the save tracker counts
      // until the server acknowledges it; a stop before that acknowledgement rightly shows the
      // "unsaved" note. Wait for the acknowledgement itself, so the screen has nothing unsaved.
      await waitSaved(page.page)
      await page.page.evaluate((c) => window.collab.reconnect.stop(c, 'as the server would say'), code)
      await expectFinal(page.page, state, { actions })
      await page.context.close()
    }
  },

  /** Dev server: loading (the database holds the room's load), saving delayed, restarting. */
  async 'states-server' (browser) {
    const room = 'server-notes'
    await control('lock-db')
    const loading = await openPage(browser, `/d/${room}`)
    check(await loading.page.evaluate(() => document.body.dataset.view) === 'loading', 'not loading while the database is locked')
    check(await loading.page.isHidden('#name-prompt') && await loading.page.isHidden('#editor'), 'loading shows a prompt or an editor')
    await captureLooks(loading.page, 'loading')
    await control('unlock-db')
    await loading.context.close()

    const a = await openEditor(browser, room, { name: 'Ada Lovelace' })
    await typeAt(a.page, 'Before the database stalls.')
    await waitSaved(a.page)
    await control('lock-db')
    await typeAt(a.page, ' While it stalls.')
    await waitSaved(a.page, 'delayed')
    await captureLooks(a.page, 'saving-delayed')
    await control('unlock-db')
    await waitSaved(a.page)

    await control('stop')
    await waitStatus(a.page, 'reconnecting')
    await expectBanner(a.page, 'restarting')
    await typeAt(a.page, ' During the restart.')
    await a.page.waitForTimeout(1500) // a refused reconnect or two: still "restarting"
    await expectBanner(a.page, 'restarting')
    await captureLooks(a.page, 'server-restarting')
    await control('start')
    await waitStatus(a.page, 'connected')
    await waitSaved(a.page)
    check(await a.page.isHidden('#connection-banner'), 'the banner stays after reconnecting')
  },

  /** One connection per room: the second page hears 1013 and says the server is busy. */
  async 'states-busy' (browser) {
    const room = 'busy-notes'
    const a = await openEditor(browser, room, { name: 'Ada Lovelace' })
    const b = await openPage(browser, `/d/${room}`)
    await waitStatus(b.page, 'reconnecting')
    await expectBanner(b.page, 'busy')
    check(await b.page.isVisible('#banner-retry'), 'busy offers no retry')
    await captureLooks(b.page, 'server-busy')
    await a.context.close()
    await waitStatus(b.page, 'connected', 40000)
  },

  /** Server with a secret: the private home, every access state, read-only, not found. */
  async 'states-auth' (browser) {
    const room = 'auth-notes'
    const home = await openPage(browser, '/')
    check(await home.page.isHidden('.new-room-form') && await home.page.isVisible('.private-note'), 'private home offers to create')
    await captureLooks(home.page, 'home-private')

    const none = await openPage(browser, `/d/${room}`)
    await expectFinal(none.page, 'access-needed', { actions: ['Sign in', 'All documents'] })
    const bad = await openPage(browser, `/d/${room}#token=${TOKENS.badSignature}`)
    await expectFinal(bad.page, 'link-invalid')
    const other = await openPage(browser, `/d/${room}#token=${TOKENS.wrongRoom}`)
    await expectFinal(other.page, 'access-denied')
    const expired = await openPage(browser, `/d/${room}#token=${TOKENS.expired}`)
    await expectFinal(expired.page, 'link-expired')

    const editor = await openPage(browser, `/d/${room}#token=${TOKENS.editor}`)
    await waitStatus(editor.page, 'connected')
    await typeAt(editor.page, 'Only editors can change this text.')
    await waitSaved(editor.page)
    const viewer = await openPage(browser, `/d/${room}#token=${TOKENS.viewer}`)
    await waitStatus(viewer.page, 'connected')
    await waitView(viewer.page, 'editor')
    check(await viewer.page.isVisible('#role-badge') && await viewer.page.isHidden('#saved'), 'viewer: no View only badge')
    check(await viewer.page.isHidden('#connection-banner') && await viewer.page.isHidden('#state-screen'), 'viewer: a banner or screen')
    await captureLooks(viewer.page, 'read-only')

    // The page's own stop with the server's revoke reason (a host's on_authorize re-check sends it).
    await editor.page.evaluate((r) => window.collab.reconnect.stop(4403, `access to room '${r}' was revoked`), room)
    await expectFinal(editor.page, 'link-revoked')

    const missing = await openPage(browser, `/d/missing-notes#token=${TOKENS.viewerMissing}`)
    await expectFinal(missing.page, 'not-found')
    await checkAxe(missing.page, 'not-found again')
  }
}

await run(scenarios)
