// Browser end-to-end scenarios for the collab editor, run by tests/browser/test_editor.py.
//
//   node editor_e2e.mjs SCENARIO HTTP_URL OUTDIR
//
// Prints "@@control stop|start" when the server must change state and waits for a line on
// stdin before going on. Exits 0 when the scenario passed, 1 with a message otherwise.
import { join } from 'node:path'
import {
  WAIT, baseUrl, outdir, check, checkAxe, control, log, openEditor, openHistory, openPage, previewOps, run,
  sideBySide, waitSaved, waitStatus, waitVersions
} from './common.mjs'

// name -> JWT, minted by test_editor.py for the auth scenarios (never printed).
const TOKENS = JSON.parse(process.env.COLLAB_E2E_TOKENS || '{}')
/** True when `text` contains any of the tokens (so messages can say which without printing it). */
function leakedToken (text) {
  return Object.entries(TOKENS).filter(([, t]) => text.includes(t) || text.includes(t.split('.')[2])).map(([k]) => k)
}

/** The editor's text; null while the page is still starting (window.collab not set yet). */
function editorText (page) {
  return page.evaluate(() => window.collab ? window.collab.view.state.doc.toString() : null)
}

async function waitText (page, predicate, what, timeout = WAIT) {
  const deadline = Date.now() + timeout
  let text = ''
  while (Date.now() < deadline) {
    text = await editorText(page)
    if (text !== null && predicate(text)) return text
    await page.waitForTimeout(100)
  }
  throw new Error(`${what}: editor text is ${JSON.stringify(text)}`)
}

async function typeAt (page, where, words) {
  await page.click('.cm-content')
  await page.keyboard.press(where === 'start' ? 'Control+Home' : 'Control+End')
  await page.keyboard.type(words, { delay: 15 })
}

/** `words` as one input (one undo step however slowly the machine runs: keystrokes further
 * apart than the undo manager's capture time would each be a step of their own). */
async function insertAt (page, where, words) {
  await page.click('.cm-content')
  await page.keyboard.press(where === 'start' ? 'Control+Home' : 'Control+End')
  await page.keyboard.insertText(words)
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

  /** The database stops committing: acknowledgements pause, and the page says saving is
   *  delayed (not "Saving…" for ever); once it commits again, everything is saved. */
  async delayed (browser) {
    const a = await openEditor(browser, 'delayed-room', { name: 'Ada' })
    await typeAt(a.page, 'end', 'Typed while the database answers. ')
    await waitSaved(a.page)
    await control('lock-db')
    await typeAt(a.page, 'end', 'Typed while it does not.')
    await waitSaved(a.page, 'delayed')
    const label = await a.page.textContent('#saved')
    check(label === 'Saving is delayed…', `delayed label reads ${label}`)
    check(await a.page.getAttribute('#saved', 'title') !== '', 'delayed state explains itself')
    await a.page.screenshot({ path: join(outdir, 'saving-delayed.png') })
    await control('unlock-db')
    await waitSaved(a.page)
    const b = await openEditor(browser, 'delayed-room', { name: 'Bo' })
    await waitText(b.page, (t) => t.endsWith('Typed while it does not.'), 'B misses the delayed edit')
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
    // y-indexeddb writes each keystroke in a transaction of its own: a read of its store, begun
    // after them, ends only once they are all written (IndexedDB runs them in order).
    await a.page.evaluate((name) => new Promise((resolve, reject) => {
      const opening = indexedDB.open(name)
      opening.onerror = () => reject(opening.error)
      opening.onsuccess = () => {
        const tx = opening.result.transaction(['updates'], 'readonly')
        tx.objectStore('updates').count()
        tx.oncomplete = () => { opening.result.close(); resolve() }
        tx.onerror = () => reject(tx.error)
      }
    }), `collab:${room}`)
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

  /**
   * Versions: A names herself, saves "First draft", writes more, previews the changes in History,
   * restores; A and B (never reloaded) both get the old text back live.
   */
  async history (browser) {
    const room = 'history-room'
    const a = await openEditor(browser, room, { viewport: { width: 1280, height: 820 } })
    await a.page.fill('#name-input', 'Alice Example')
    await a.page.press('#name-input', 'Enter')
    // The WebSocket URL carries the name; a rename applies from the next connection on.
    const params = await a.page.evaluate(() => window.collab.provider.params)
    check(params.name === 'Alice Example' && params.ack === '1', `provider params ${JSON.stringify(params)}`)
    await a.context.setOffline(true)
    await waitStatus(a.page, 'offline')
    await a.context.setOffline(false)
    await waitStatus(a.page, 'connected')
    const url = await a.page.evaluate(() => window.collab.provider.ws.url)
    check(new URL(url).searchParams.get('name') === 'Alice Example', `socket URL ${url}`)
    const b = await openEditor(browser, room, { name: 'Bob' })
    const bUrl = await b.page.evaluate(() => window.collab.provider.ws.url)
    check(new URL(bUrl).searchParams.get('name') === 'Bob', `B socket URL ${bUrl}`)
    await b.page.evaluate(() => { window.notReloaded = true })

    await typeAt(a.page, 'end', 'The plan is simple.')
    await waitText(b.page, (t) => t === 'The plan is simple.', 'B sees A')
    await typeAt(b.page, 'end', ' Bob agrees.')
    const draft = 'The plan is simple. Bob agrees.'
    await waitText(a.page, (t) => t === draft, 'A sees B')
    await Promise.all([waitSaved(a.page), waitSaved(b.page)])

    // Save a named version from the panel.
    check(!(await a.page.isDisabled('#side-toggle')), 'History button is disabled')
    await openHistory(a.page)
    await a.page.fill('#version-label', 'First draft')
    await a.page.click('#save-version button[type="submit"]')
    let items = await waitVersions(a.page, (v) => v.some((i) => i.label === 'First draft'), 'named version')
    const named = items.find((i) => i.label === 'First draft')
    check(named.kind === 'named', `First draft has kind ${named.kind}`)
    check(named.text.includes('Saved by Alice Example'), `no saver in ${JSON.stringify(named.text)}`)
    check(/edits by .*Alice Example/.test(named.text) && /edits by .*Bob/.test(named.text),
      `edit authors missing in ${JSON.stringify(named.text)}`)
    // (The list may show the version from the room's event before the save's own answer,
    // which clears the field, has arrived.)
    await a.page.waitForFunction(() => document.getElementById('version-label').value === '', null, { timeout: WAIT })
      .catch(() => check(false, 'label field not cleared'))
    await a.page.click('#history-close')
    check(await a.page.isHidden('#side-panel'), 'panel stays open after Close')

    // Write more, then preview what changed since the draft.
    await typeAt(a.page, 'end', ' Ship it on Friday.')
    await waitText(b.page, (t) => t === `${draft} Ship it on Friday.`, 'B sees more')
    await waitSaved(a.page)
    await openHistory(a.page)
    await a.page.click(`#version-list .version-item[data-version-id="${named.id}"]`)
    await a.page.waitForSelector('#version-preview', { state: 'visible', timeout: WAIT })
    check(await a.page.textContent('#preview-title') === 'First draft', 'preview title')
    await a.page.waitForSelector('#diff-view ins.diff-insert', { timeout: WAIT })
    const ops = await previewOps(a.page)
    const inserted = ops.filter((o) => o.op === 'insert').map((o) => o.text).join('')
    check(inserted === ' Ship it on Friday.', `insertions shown: ${JSON.stringify(ops)}`)
    check(!ops.some((o) => o.op === 'delete'), `deletions shown: ${JSON.stringify(ops)}`)
    check(ops.map((o) => o.text).join('') === `${draft} Ship it on Friday.`, `preview text ${JSON.stringify(ops)}`)
    const colours = await a.page.evaluate(() => {
      const ins = document.querySelector('#diff-view ins')
      return { ins: getComputedStyle(ins).backgroundColor, text: getComputedStyle(ins).textDecorationLine }
    })
    check(colours.ins !== 'rgba(0, 0, 0, 0)' && colours.text === 'none', `insert style ${JSON.stringify(colours)}`)
    check((await a.page.textContent('#diff-stats')).includes('+19 added'), 'diff stats')
    await a.page.screenshot({ path: join(outdir, 'history.png') })

    // Restore, with a confirmation step.
    await a.page.click('#restore-button')
    await a.page.waitForSelector('#restore-confirm', { state: 'visible', timeout: WAIT })
    check((await editorText(a.page)).endsWith('Friday.'), 'restored before confirming')
    await a.page.click('#restore-yes')
    await waitText(a.page, (t) => t === draft, 'A after restore')
    await waitText(b.page, (t) => t === draft, 'B after restore (live)')
    check(await b.page.evaluate(() => window.notReloaded === true), 'B was reloaded')
    // The restored text can arrive over the socket before the HTTP answer does.
    await a.page.waitForFunction(() => window.collab.history.state.lastRestore, null, { timeout: WAIT })
    const restored = await a.page.evaluate(() => window.collab.history.state.lastRestore)
    check(restored && restored.changed, `restore result ${JSON.stringify(restored)}`)
    items = await waitVersions(a.page, (v) => v.some((i) => i.kind === 'restore'), 'restore version listed')
    const restoreItem = items.find((i) => i.kind === 'restore')
    const safety = items.find((i) => i.id === restored.safety.id)
    check(restoreItem.id === restored.restored.id, `restore item ${restoreItem.id} vs ${restored.restored.id}`)
    check(restoreItem.label === 'Restored “First draft”', `restore item label ${JSON.stringify(restoreItem.label)}`)
    check(restoreItem.text.includes('Restored by Alice Example'), `restore item ${JSON.stringify(restoreItem.text)}`)
    check(safety && safety.isNew, `safety version ${restored.safety.id} not listed: ${JSON.stringify(items)}`)
    check(safety.text.includes('Alice Example'), `safety version people: ${JSON.stringify(safety.text)}`)
    check(items.findIndex((i) => i.id === restoreItem.id) < items.findIndex((i) => i.id === named.id),
      'list is not newest first')
    const message = await a.page.textContent('#history-message')
    check(message.includes('Restored “First draft”'), `message ${JSON.stringify(message)}`)
    await a.page.screenshot({ path: join(outdir, 'history-list.png') })
    // Typing after the restore still works for both.
    await typeAt(b.page, 'end', ' Still here.')
    await waitText(a.page, (t) => t === `${draft} Still here.`, 'A after B types post-restore')

    // The panel as a sheet on a phone.
    const phone = await openEditor(browser, room, { name: 'Carol', viewport: { width: 390, height: 760 } })
    await openHistory(phone.page)
    await phone.page.click(`#version-list .version-item[data-version-id="${restored.safety.id}"]`)
    await phone.page.waitForSelector('#diff-view del.diff-delete', { timeout: WAIT })
    const phoneOps = (await previewOps(phone.page)).filter((o) => o.op !== 'equal')
    check(JSON.stringify(phoneOps) === JSON.stringify([{ op: 'delete', text: 'Ship it on Friday' }, { op: 'insert', text: 'Still here' }]),
      `phone preview changes ${JSON.stringify(phoneOps)}`)
    const box = await phone.page.evaluate(() => {
      const r = document.getElementById('side-panel').getBoundingClientRect()
      return { left: r.left, width: r.width, bottom: r.bottom, position: getComputedStyle(document.getElementById('side-panel')).position }
    })
    check(box.position === 'fixed' && box.left === 0 && box.width === 390 && box.bottom === 760, `phone panel ${JSON.stringify(box)}`)
    await phone.page.screenshot({ path: join(outdir, 'history-phone.png') })
  },

  /**
   * Auth: an editor opens a share link (/d/room#token=…). The fragment leaves the address bar, the
   * token is kept for the room and sent only as a WebSocket subprotocol and a Bearer header; a
   * second editor sees the typing; a reload without the fragment uses the stored token.
   */
  async 'auth-link' (browser) {
    const room = 'auth-room'
    const a = await openPage(browser, `/d/${room}#token=${TOKENS.alice}`)
    await waitStatus(a.page, 'connected')
    const where = await a.page.evaluate(() => ({ href: location.href, hash: location.hash }))
    check(where.hash === '' && leakedToken(where.href).length === 0, 'the token is still in the address bar')
    check(await a.page.evaluate((r) => localStorage.getItem(`collab:token:${r}`), room) === TOKENS.alice,
      'the token was not stored for the room')
    const socket = await a.page.evaluate(() => ({ url: window.collab.provider.ws.url, protocol: window.collab.provider.ws.protocol }))
    check(socket.protocol === 'collab', `negotiated subprotocol ${JSON.stringify(socket.protocol)}`)
    check(leakedToken(socket.url).length === 0, 'the token is in the WebSocket URL')
    check(await a.page.evaluate(() => window.collab.access.role) === 'editor', 'role is not editor')
    // The token names the person: no name prompt, and others see that name.
    check(!(await a.page.isVisible('#name-prompt')), 'name prompt shown despite a named token')
    check(await a.page.isVisible('#saved') && await a.page.isHidden('#role-badge'), 'editor sees the view-only badge')

    const b = await openPage(browser, `/d/${room}#token=${TOKENS.bob}`)
    await waitStatus(b.page, 'connected')
    await typeAt(a.page, 'end', 'Shared by link.')
    await waitText(b.page, (t) => t === 'Shared by link.', 'B never saw A typing')
    await b.page.waitForSelector('#presence [data-name="Alice Link"]', { timeout: WAIT })
    await a.page.waitForSelector('#presence [data-name="Bob Link"]', { timeout: WAIT })
    await waitSaved(a.page)

    // Later visit, no fragment: the stored token still opens the room.
    a.sockets.length = 0
    await a.page.goto(`/d/${room}`)
    await waitStatus(a.page, 'connected')
    await waitText(a.page, (t) => t === 'Shared by link.', 'A after a reload without the fragment')
    await typeAt(a.page, 'end', ' Again.')
    await waitText(b.page, (t) => t === 'Shared by link. Again.', 'B after A reloaded')
    await waitSaved(a.page)
    check(a.sockets.length === 1, `${a.sockets.length} sockets after the reload`)

    // REST with the Bearer token: an editor can save a version but not restore.
    await openHistory(a.page)
    check(await a.page.isVisible('#save-version'), 'editor has no Save version')
    await a.page.fill('#version-label', 'Linked draft')
    await a.page.click('#save-version button[type="submit"]')
    const items = await waitVersions(a.page, (v) => v.some((i) => i.label === 'Linked draft'), 'named version')
    const named = items.find((i) => i.label === 'Linked draft')
    check(named.text.includes('Saved by Alice Link'), `saver ${JSON.stringify(named.text)}`)
    await a.page.click(`#version-list .version-item[data-version-id="${named.id}"]`)
    await a.page.waitForSelector('#diff-view', { state: 'visible', timeout: WAIT })
    check(await a.page.isHidden('#restore-button'), 'editor can see Restore')
    for (const side of [a, b]) {
      const leaks = [...side.requests, ...side.sockets.map((s) => s.url)].filter((u) => leakedToken(u).length)
      check(leaks.length === 0, `${leaks.length} request URLs carry a token`)
    }
    await a.page.screenshot({ path: join(outdir, 'auth-editor.png') })
  },

  /**
   * Auth: a viewer cannot type (the editor is read-only) but sees an editor's typing live and
   * their presence; History has no Save or Restore for them. A write forced past the UI gets the
   * socket closed with 4403, which is final.
   */
  async 'auth-viewer' (browser) {
    const room = 'view-room'
    const e = await openPage(browser, `/d/${room}#token=${TOKENS.editor}`)
    await waitStatus(e.page, 'connected')
    await typeAt(e.page, 'end', 'Written by the editor.')
    await waitSaved(e.page)
    await openHistory(e.page)
    await e.page.fill('#version-label', 'Checkpoint')
    await e.page.click('#save-version button[type="submit"]')
    await waitVersions(e.page, (v) => v.some((i) => i.label === 'Checkpoint'), 'editor saved a version')
    await e.page.click('#history-close')

    const v = await openPage(browser, `/d/${room}#token=${TOKENS.viewer}`)
    await waitStatus(v.page, 'connected')
    await waitText(v.page, (t) => t === 'Written by the editor.', 'viewer text')
    check(await v.page.evaluate(() => window.collab.access.role) === 'viewer', 'role is not viewer')
    check(await v.page.isVisible('#role-badge') && await v.page.isHidden('#saved'), 'no View only badge for the viewer')
    const editable = await v.page.evaluate(() => ({
      attr: document.querySelector('.cm-content').getAttribute('contenteditable'),
      readOnly: window.collab.view.state.readOnly
    }))
    check(editable.attr === 'false' && editable.readOnly === true, `viewer editor ${JSON.stringify(editable)}`)
    await v.page.click('.cm-content')
    await v.page.keyboard.press('Control+End')
    await v.page.keyboard.type('viewer typing', { delay: 10 })
    await v.page.keyboard.press('Enter')
    await v.page.keyboard.press('Backspace')
    await v.page.waitForTimeout(800)
    check(await editorText(v.page) === 'Written by the editor.', `viewer typing changed the text: ${await editorText(v.page)}`)
    check(await editorText(e.page) === 'Written by the editor.', 'viewer typing reached the editor')
    await waitStatus(v.page, 'connected')
    check(v.sockets.length === 1, `viewer opened ${v.sockets.length} sockets`)

    // Live: the editor types, the viewer sees it; each sees the other.
    await typeAt(e.page, 'end', ' Live line.')
    await waitText(v.page, (t) => t === 'Written by the editor. Live line.', 'viewer never saw the editor typing')
    await v.page.waitForSelector('#presence [data-name="Eddie Editor"]', { timeout: WAIT })
    await e.page.waitForSelector('#presence [data-name="Vera Viewer"]', { timeout: WAIT })

    // History: readable, but no Save version and no Restore.
    await openHistory(v.page)
    const items = await waitVersions(v.page, (list) => list.some((i) => i.label === 'Checkpoint'), 'viewer history')
    check(await v.page.isHidden('#save-version'), 'viewer sees Save version')
    check(await v.page.isDisabled('#version-label') && await v.page.isDisabled('#save-version button[type="submit"]'), 'viewer save controls enabled')
    await v.page.click(`#version-list .version-item[data-version-id="${items.find((i) => i.label === 'Checkpoint').id}"]`)
    await v.page.waitForSelector('#diff-view ins.diff-insert', { timeout: WAIT })
    check(await v.page.isHidden('#restore-button') && await v.page.isDisabled('#restore-button'), 'viewer sees Restore')
    await v.page.screenshot({ path: join(outdir, 'auth-viewer.png') })

    // An admin gets Restore.
    const admin = await openPage(browser, `/d/${room}#token=${TOKENS.admin}`)
    await waitStatus(admin.page, 'connected')
    await openHistory(admin.page)
    const adminItems = await waitVersions(admin.page, (list) => list.some((i) => i.label === 'Checkpoint'), 'admin history')
    await admin.page.click(`#version-list .version-item[data-version-id="${adminItems.find((i) => i.label === 'Checkpoint').id}"]`)
    await admin.page.waitForSelector('#diff-view ins.diff-insert', { timeout: WAIT })
    check(await admin.page.isVisible('#restore-button') && !(await admin.page.isDisabled('#restore-button')), 'admin has no Restore')
    check(await admin.page.isVisible('#save-version') === false, 'save form shown during preview') // hidden while previewing

    // A write forced past the read-only editor: the server closes with 4403, final.
    await v.page.evaluate(() => window.collab.ytext.insert(0, 'sneaky '))
    await waitStatus(v.page, 'denied')
    const banner = await v.page.evaluate(() => ({
      code: document.getElementById('state-screen').dataset.code,
      state: document.getElementById('state-screen').dataset.state,
      text: document.getElementById('state-screen').textContent,
      label: document.querySelector('#status .status-text').textContent
    }))
    check(banner.code === '4403' && banner.state === 'read-only-refused' && /read-only/.test(banner.text) && banner.label === 'Read only',
      `viewer write screen ${JSON.stringify(banner)}`)
    await v.page.waitForTimeout(3000)
    check(v.sockets.length === 1, `viewer reconnected after 4403 (${v.sockets.length} sockets)`)
    check(!(await editorText(e.page)).includes('sneaky'), 'the viewer write reached the editor')

    // The refused edit sits in this browser's cache: a reload sends it again and is refused again.
    check(await v.page.isVisible('#state-screen [data-action="discard"]') && await v.page.isHidden('#banner-retry'),
      'the read-only screen offers no way out')
    await v.page.reload()
    await waitStatus(v.page, 'denied')
    check((await editorText(v.page)).includes('sneaky'), 'the refused edit was not kept in the cache')
    check(await v.page.isHidden('#editor'), 'an editor is shown where nothing can be saved')
    await v.page.screenshot({ path: join(outdir, 'auth-viewer-refused-copy.png') })
    await checkAxe(v.page, 'read-only with refused edits')
    // "Use the server's copy" drops the cached edits; the page reloads and reads live again.
    await Promise.all([v.page.waitForEvent('load'), v.page.click('#state-screen [data-action="discard"]')])
    await waitStatus(v.page, 'connected')
    await waitText(v.page, (t) => t === 'Written by the editor. Live line.', 'viewer after discarding its copy')
    await typeAt(e.page, 'end', ' After.')
    await waitText(v.page, (t) => t === 'Written by the editor. Live line. After.', 'viewer live after discarding')
  },

  /**
   * Auth: final close codes (expired 4419, wrong room 4403, bad signature 4402, no token 4401)
   * show why and never retry: exactly one WebSocket in 5 s. Text already cached stays visible.
   */
  async 'auth-final' (browser) {
    const room = 'final-room'
    const a = await openPage(browser, `/d/${room}#token=${TOKENS.editor}`)
    await waitStatus(a.page, 'connected')
    await typeAt(a.page, 'end', 'Cached in this browser.')
    await waitSaved(a.page)
    a.sockets.length = 0
    await a.page.goto(`/d/${room}#token=${TOKENS.expired}`)
    const others = await Promise.all([
      openPage(browser, `/d/${room}#token=${TOKENS.wrongRoom}`),
      openPage(browser, `/d/${room}#token=${TOKENS.badSignature}`),
      openPage(browser, `/d/${room}`)
    ])
    const cases = [
      { who: 'expired', page: a, code: '4419', label: 'Link expired', state: 'link-expired', title: 'This link has expired' },
      { who: 'wrong room', page: others[0], code: '4403', label: 'Access denied', state: 'access-denied', title: 'Your link does not open this document' },
      { who: 'bad signature', page: others[1], code: '4402', label: 'Access denied', state: 'link-invalid', title: 'This link does not work' },
      { who: 'no token', page: others[2], code: '4401', label: 'Access denied', state: 'access-needed', title: 'Sign in to open this document' }
    ]
    for (const c of cases) {
      await waitStatus(c.page.page, 'denied')
      const seen = await c.page.page.evaluate(() => ({
        code: document.getElementById('status').dataset.code,
        label: document.querySelector('#status .status-text').textContent,
        state: document.getElementById('state-screen').dataset.state,
        screenVisible: document.getElementById('state-screen').checkVisibility(),
        editorVisible: document.getElementById('editor').checkVisibility(),
        title: document.querySelector('#state-screen .state-title').textContent,
        reason: document.querySelector('#state-screen .state-reason').textContent
      }))
      check(seen.code === c.code && seen.label === c.label && seen.state === c.state && seen.screenVisible &&
        !seen.editorVisible && seen.title === c.title, `${c.who}: ${JSON.stringify(seen)}`)
      log(`${c.who}: ${seen.label} / ${seen.title} / ${seen.reason}`)
    }
    await waitText(a.page, (t) => t === 'Cached in this browser.', 'cached text after the expired link')
    await a.page.screenshot({ path: join(outdir, 'auth-expired.png') })
    await a.page.waitForTimeout(5000)
    for (const c of cases) {
      check(c.page.sockets.length === 1, `${c.who}: ${c.page.sockets.length} WebSocket attempts in 5 s`)
      check(await c.page.page.evaluate(() => document.getElementById('status').dataset.status) === 'denied', `${c.who}: status changed`)
    }
  },

  /**
   * Auth: the server stops (1012, then refused connections), the page shows Reconnecting… and
   * retries with a growing, jittered delay; after the restart it reconnects and syncs.
   */
  async 'auth-retry' (browser) {
    const room = 'retry-room'
    const a = await openPage(browser, `/d/${room}#token=${TOKENS.editor}`)
    await waitStatus(a.page, 'connected')
    await typeAt(a.page, 'end', 'Before.')
    await waitSaved(a.page)
    a.sockets.length = 0
    await control('stop')
    await waitStatus(a.page, 'reconnecting')
    await typeAt(a.page, 'end', ' During.')
    await waitSaved(a.page, 'unsaved')
    await a.page.waitForTimeout(6000)
    const closes = await a.page.evaluate(() => window.collab.reconnect.state.closes)
    log(`closes while down: ${JSON.stringify(closes.map((c) => [c.code, c.delay]))}`)
    check(a.sockets.length >= 1 && a.sockets.length <= 8, `${a.sockets.length} attempts in 6 s`)
    check(closes.every((c) => c.delay !== null && c.delay <= 30000), 'a close was treated as final')
    check(closes.length >= 2 && closes[0].code === 1012, `first close ${JSON.stringify(closes[0])}`)
    check(closes.slice(1).every((c) => c.code === 1006), `codes ${JSON.stringify(closes.map((c) => c.code))}`)
    await control('start')
    await waitStatus(a.page, 'connected', 40000)
    await waitSaved(a.page)
    check(await a.page.evaluate(() => window.collab.reconnect.state.attempt) === 0, 'backoff not reset after sync')
    const b = await openPage(browser, `/d/${room}#token=${TOKENS.editor}`)
    await waitStatus(b.page, 'connected')
    await waitText(b.page, (t) => t === 'Before. During.', 'B after the restart')
  },

  /** Undo removes only my own typing, not the other person's. */
  async undo (browser) {
    const room = 'undo-room'
    const a = await openEditor(browser, room, { name: 'Alice' })
    const b = await openEditor(browser, room, { name: 'Bob' })
    await insertAt(a.page, 'end', 'mine ')
    await waitText(b.page, (t) => t === 'mine ', 'B sees A')
    await insertAt(b.page, 'end', 'theirs')
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

run(scenarios)
