// Browser end-to-end scenario for the Share dialog (issue 14 item 2), run by
// tests/browser/test_share.py; see common.mjs for how it is driven.
import { join } from 'node:path'
import { WAIT, baseUrl, outdir, captureLooks, check, openPage, run, waitSaved, waitStatus } from './common.mjs'

const TOKENS = JSON.parse(process.env.COLLAB_E2E_TOKENS || '{}')

function editorText (page) {
  return page.evaluate(() => window.collab.ytext.toString())
}

async function waitFor (read, predicate, what) {
  const deadline = Date.now() + WAIT
  let now
  while (Date.now() < deadline) {
    now = await read()
    if (predicate(now)) return now
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`${what}: got ${JSON.stringify(now)}`)
}

function listedLinks (page) {
  return page.evaluate(() => [...document.querySelectorAll('#share-list .share-item')].map((el) => ({
    id: el.dataset.linkId,
    text: el.textContent
  })))
}

const scenarios = {
  /**
   * An admin opens the Share dialog (by keyboard), makes a viewer link for a day and copies it;
   * the link opens the document read-only in another browser; the admin revokes it (with a
   * confirmation) and that page says the link was revoked, without retrying.
   */
  async 'share-link' (browser) {
    const room = 'share-room'
    const admin = await openPage(browser, `/d/${room}#token=${TOKENS.admin}`)
    await admin.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseUrl })
    await waitStatus(admin.page, 'connected')
    await admin.page.click('.cm-content')
    await admin.page.keyboard.type('Shared with a link.', { delay: 10 })
    await waitSaved(admin.page)
    const renamed = await admin.page.evaluate(async ([room, token]) => (await fetch(`/api/rooms/${room}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ title: 'Launch notes' })
    })).status, [room, TOKENS.admin])
    check(renamed === 200, `renaming answered ${renamed}`)

    check(await admin.page.isVisible('#share-button'), 'no Share button for an admin')
    await admin.page.focus('#share-button')
    await admin.page.keyboard.press('Enter')
    await admin.page.waitForSelector('#share-dialog[open]', { timeout: WAIT })
    check(await admin.page.evaluate(() => document.activeElement.id) === 'share-role', 'focus is not in the dialog')
    check(await admin.page.inputValue('#share-role') === 'viewer', 'the role is not viewer by default')
    await admin.page.selectOption('#share-expiry', { label: 'in 1 day' })
    await admin.page.fill('#share-label', 'For the review')
    await admin.page.click('#share-form button[type="submit"]')
    await admin.page.waitForSelector('#share-result:not([hidden])', { timeout: WAIT })
    const url = await admin.page.inputValue('#share-url')
    check(url.startsWith(`${baseUrl}/d/${room}#token=`), `link ${url}`)
    await admin.page.click('#share-copy')
    await waitFor(() => admin.page.textContent('#share-copied'), (t) => t === 'Link copied.', 'copy message')
    const copied = await admin.page.evaluate(() => navigator.clipboard.readText())
    check(copied === url, `the clipboard holds ${copied}`)
    const links = await waitFor(() => listedLinks(admin.page), (l) => l.length === 1, 'the listed links')
    check(/Can view/.test(links[0].text) && /For the review/.test(links[0].text) && /expires in 24 h/.test(links[0].text),
      `listed ${links[0].text}`)
    await admin.page.screenshot({ path: join(outdir, 'share-dialog.png') })
    // Light and dark, desktop and phone, each checked with axe-core.
    await captureLooks(admin.page, 'share-dialog')

    // The link in another browser: the document, read-only, and no Share button.
    const parsed = new URL(copied)
    const viewer = await openPage(browser, parsed.pathname + parsed.hash)
    await waitStatus(viewer.page, 'connected')
    await waitFor(() => editorText(viewer.page), (t) => t === 'Shared with a link.', 'the viewer text')
    check(await viewer.page.evaluate(() => window.collab.access.role) === 'viewer', 'the link is not a viewer link')
    // The server does not see the link's token (it is in the fragment), so its page leaves the
    // title out; the page asks the REST API with the token and shows it.
    const served = await (await fetch(`${baseUrl}/d/${room}`)).text()
    check(!served.includes('Launch notes'), 'the page names the title to someone without a token')
    await waitFor(() => viewer.page.textContent('#doc-title'), (t) => t === 'Launch notes', 'the viewer\'s title')
    check(await viewer.page.title() === 'Launch notes · collab', `the viewer's tab says ${await viewer.page.title()}`)
    check(await viewer.page.isVisible('#role-badge'), 'no View only badge')
    check(await viewer.page.isHidden('#share-button'), 'a viewer sees Share')
    await viewer.page.click('.cm-content')
    await viewer.page.keyboard.type('viewer typing', { delay: 10 })
    await viewer.page.waitForTimeout(500)
    check(await editorText(viewer.page) === 'Shared with a link.', 'the viewer could type')

    // Revoke, confirmed; the viewer's page is closed and says why.
    await admin.page.click(`#share-list [data-link-id="${links[0].id}"] .share-revoke`)
    check(await admin.page.isVisible('.share-confirm'), 'no confirmation before revoking')
    await admin.page.click(`#share-list [data-link-id="${links[0].id}"] .share-revoke-yes`)
    await waitFor(() => listedLinks(admin.page), (l) => l.length === 0, 'the list after revoking')
    check(await admin.page.isVisible('#share-none'), 'no empty-list note')
    await waitStatus(viewer.page, 'denied')
    await viewer.page.waitForFunction(() => document.body.dataset.view === 'blocked', null, { timeout: WAIT })
    const screen = await viewer.page.evaluate(() => ({
      state: document.getElementById('state-screen').dataset.state,
      code: document.getElementById('state-screen').dataset.code,
      title: document.getElementById('state-title').textContent,
      label: document.querySelector('#status .status-text').textContent
    }))
    check(screen.state === 'link-revoked' && screen.code === '4403' && screen.title === 'This link was revoked' &&
      screen.label === 'Link revoked', `the viewer's screen ${JSON.stringify(screen)}`)
    await viewer.page.screenshot({ path: join(outdir, 'share-revoked.png') })
    await viewer.page.waitForTimeout(2000)
    check(viewer.sockets.length === 1, `the viewer reconnected after the revocation (${viewer.sockets.length} sockets)`)
    // Esc closes the dialog.
    await admin.page.keyboard.press('Escape')
    await admin.page.waitForSelector('#share-dialog', { state: 'hidden', timeout: WAIT })
    check(await admin.page.evaluate(() => !document.getElementById('share-dialog').open), 'Esc left the dialog open')
  }
}

run(scenarios)
