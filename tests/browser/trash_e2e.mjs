// The Trash tab of the home page, in real Chromium against a real server keeping deleted
// documents 30 days: delete a document from its page (the dialog says it goes to the Trash for
// 30 days), find it in the Trash with the days left, delete another one forever (with a
// confirmation), restore the first and open it again with its text. Each state is checked with
// axe-core and screenshotted at 1280 and 390 px, light and dark (COLLAB_SHOTS). Run by
// tests/browser/test_trash.py.
//
//   node trash_e2e.mjs SCENARIO HTTP_URL OUTDIR

import { WAIT, baseUrl, captureLooks, check, log, openPage, run, waitStatus } from './common.mjs'
import { newDocument, signedIn } from './people.mjs'

const TOKENS = JSON.parse(process.env.COLLAB_E2E_TOKENS || '{}')

async function api (method, path, body) {
  const init = { method, headers: { 'content-type': 'application/json' } }
  if (body !== undefined) init.body = JSON.stringify(body)
  const res = await fetch(`${baseUrl}${path}`, init)
  check(res.ok, `${method} ${path}: ${res.status} ${await res.clone().text()}`)
  return res.status === 204 ? null : res.json()
}

async function trashed (page) {
  await page.waitForFunction(() => document.getElementById('room-list').getAttribute('aria-busy') === 'false', null, { timeout: WAIT })
  return page.evaluate(() => [...document.querySelectorAll('#room-list .trash-item')].map((li) => ({
    room: li.dataset.room,
    title: li.querySelector('.trash-name').textContent,
    left: li.querySelector('.trash-left').textContent
  })))
}

const scenarios = {
  async 'trash-flow' (browser) {
    const made = await api('POST', '/api/rooms', { title: 'Budget 2027', kind: 'text' })
    await api('PATCH', `/api/rooms/${made.name}/text`, { text: 'Rent 1200, travel 300' })
    const draft = await api('POST', '/api/rooms', { title: 'Old draft', kind: 'text' })
    await api('DELETE', `/api/rooms/${draft.name}`)

    const { page } = await openPage(browser, `/d/${made.name}`, { viewport: { width: 1280, height: 800 } })
    await waitStatus(page, 'connected')
    await page.click('#doc-menu-button')
    await page.click('[data-action="delete"]')
    await page.waitForSelector('dialog.confirm-dialog[open]', { timeout: WAIT })
    const said = await page.textContent('#delete-text')
    check(said.includes('Trash') && said.includes('30 days'), `the delete dialog says: ${said}`)
    check(await page.textContent('#delete-confirm') === 'Move to Trash', 'the delete button does not say Move to Trash')
    await captureLooks(page, 'trash-delete-dialog')
    await Promise.all([page.waitForURL(`${baseUrl}/`, { timeout: WAIT }), page.click('#delete-confirm')])
    await page.waitForSelector('#home-message:not([hidden])', { timeout: WAIT })
    const message = await page.textContent('#home-message')
    check(message.includes('“Budget 2027” was deleted. It is in the Trash for 30 days.'), `home says: ${message}`)

    await page.click('#scope-trash')
    await page.waitForFunction(() => new URLSearchParams(location.search).get('scope') === 'trash', null, { timeout: WAIT })
    let items = await trashed(page)
    check(items.map((i) => i.room).join() === `${made.name},${draft.name}`, `the Trash lists ${JSON.stringify(items)}`)
    check(items[0].title === 'Budget 2027' && items[0].left === '30 days left', `the Trash item: ${JSON.stringify(items[0])}`)
    check(await page.isHidden('#room-search') && await page.isHidden('#import-button'), 'search and import show in the Trash')
    await captureLooks(page, 'trash-view')

    await page.click(`.trash-item[data-room="${draft.name}"] .trash-forget`)
    await page.waitForSelector('#forever[open]', { timeout: WAIT })
    check(await page.evaluate(() => document.activeElement.textContent) === 'Cancel', 'the forever dialog does not focus Cancel')
    await captureLooks(page, 'trash-forever-dialog')
    await page.click('#forever-yes')
    await page.waitForFunction(() => document.getElementById('home-message').textContent.includes('deleted forever'), null, { timeout: WAIT })
    items = await trashed(page)
    check(items.map((i) => i.room).join() === made.name, `after Delete forever: ${JSON.stringify(items)}`)

    await page.click(`.trash-item[data-room="${made.name}"] .trash-restore`)
    await page.waitForFunction(() => document.getElementById('home-message').textContent.includes('was restored'), null, { timeout: WAIT })
    await page.waitForSelector('#room-list .room-empty', { timeout: WAIT })
    await captureLooks(page, 'trash-empty')

    await page.click('#scope-all')
    await page.waitForSelector(`#room-list .room-item[data-room="${made.name}"]`, { timeout: WAIT })
    await Promise.all([page.waitForURL(`${baseUrl}/d/${made.name}`, { timeout: WAIT }), page.click(`.room-item[data-room="${made.name}"] .room-name`)])
    await waitStatus(page, 'connected')
    await page.waitForFunction(() => document.querySelector('.cm-content')?.innerText.includes('Rent 1200, travel 300'), null, { timeout: WAIT })
    log('trash flow done')
  },

  /** A signed-in person (not an admin) deletes their document from its page and finds it in
   * their Trash tab, after Recent; someone else's trash is not theirs to see. */
  async 'trash-person' (browser) {
    const [grace] = JSON.parse(TOKENS.people)
    const { page } = await signedIn(browser, grace, { viewport: { width: 1280, height: 800 } })
    const name = await newDocument(page, 'Grace’s notes')
    await page.click('#doc-menu-button')
    await page.click('[data-action="delete"]')
    await page.waitForSelector('dialog.confirm-dialog[open]', { timeout: WAIT })
    await Promise.all([page.waitForURL(`${baseUrl}/`, { timeout: WAIT }), page.click('#delete-confirm')])
    const tabs = await page.$$eval('#scope-tabs [role="tab"]', (all) => all.map((tab) => tab.textContent))
    check(tabs.join() === 'All,Owned by me,Shared with me,Recent,Trash', `the tabs: ${tabs}`)
    await page.click('#scope-trash')
    const items = await trashed(page)
    check(items.length === 1 && items[0].room === name && items[0].left === '30 days left', `Grace's trash: ${JSON.stringify(items)}`)
    check((await page.textContent('.trash-item .room-sub')).includes('deleted by Grace Hopper'), 'who deleted it is not shown')
    await captureLooks(page, 'trash-person')
    log('trash person done')
  }
}

run(scenarios)
