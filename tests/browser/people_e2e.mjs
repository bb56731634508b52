// Browser end-to-end scenarios of people (sign in, a person's home page, sharing with a named
// teammate, a link visitor's name, the People page), run by tests/browser/test_people.py; see
// common.mjs for how they are driven. Screens are captured in every look (captureLooks: 1280
// and 390 px, light and dark, each checked with axe-core).
import { WAIT, captureLooks, check, openPage, run, waitSaved, waitStatus } from './common.mjs'
import {
  chooseTab, editorText, finalScreen, listed, newDocument, openShare, path, presenceLabel, signedIn, submitSignIn,
  typeAtEnd, waitFor
} from './people.mjs'

/** The People page's rows as a person reads them. */
function peopleRows (page) {
  return page.evaluate(() => [...document.querySelectorAll('#people-rows tr')].map((row) => ({
    email: row.dataset.email,
    name: row.querySelector('.person-name').textContent,
    chips: [...row.querySelectorAll('.person-status .chip')].map((chip) => chip.textContent),
    seen: row.querySelector('.person-seen').textContent,
    seenAt: row.querySelector('.person-seen time')?.dateTime ?? null,
    owned: row.querySelector('.people-num').textContent,
    way: row.querySelector('.person-way').textContent,
    actions: [...row.querySelectorAll('.person-actions button')].map((button) => button.textContent)
  })))
}

async function personRow (page, person) {
  return (await peopleRows(page)).find((row) => row.email === person.email)
}

const PEOPLE = JSON.parse(JSON.parse(process.env.COLLAB_E2E_TOKENS || '{}').people || '[]')
const [ADA, GRACE, EDSGER] = PEOPLE

const scenarios = {
  /**
   * The home page of a server with a secret sends a stranger to sign in; a wrong password says
   * so; the right one lands on the home page, which says who is signed in; "New document"
   * makes one owned by me that "Owned by me" lists; signing out and in again with `next`.
   */
  async 'sign-in' (browser) {
    const { page } = await openPage(browser, '/')
    await page.waitForSelector('body.home-private', { timeout: WAIT })
    check(await page.isVisible('#signin-link') && await page.isHidden('#new-room-form'), 'a stranger is not offered to sign in')
    await captureLooks(page, 'home-signed-out')
    await page.click('#signin-link')
    await page.waitForURL((url) => url.pathname === '/signin', { timeout: WAIT })
    await page.waitForFunction(() => document.activeElement?.id === 'signin-email', null, { timeout: WAIT })
    check(await page.getAttribute('#signin-email', 'autocomplete') === 'username' &&
      await page.getAttribute('#signin-password', 'autocomplete') === 'current-password', 'autocomplete attributes')
    await captureLooks(page, 'signin')

    await submitSignIn(page, ADA.email, 'not the password at all')
    await page.waitForSelector('#signin-error:not([hidden])', { timeout: WAIT })
    const error = await page.textContent('#signin-error')
    check(/incorrect/i.test(error), `the error says ${JSON.stringify(error)}`)
    check(path(page) === '/signin', 'a wrong password left the sign-in page')
    await page.waitForFunction(() => !document.getElementById('signin-submit').disabled, null, { timeout: WAIT })
    await captureLooks(page, 'signin-error')

    await submitSignIn(page, ADA.email, ADA.password)
    await page.waitForURL((url) => url.pathname === '/', { timeout: WAIT })
    await page.waitForSelector('#account:not([hidden])', { timeout: WAIT })
    check(await page.textContent('#account-name') === ADA.name, 'the home page does not say who is signed in')
    check(await page.isVisible('#people-link'), 'an admin has no link to the People page')

    const room = await newDocument(page, 'Launch plan')
    check(await page.evaluate(() => window.collab.access.role) === 'admin', 'the owner is not its admin')
    check(await page.isHidden('#name-prompt'), 'a signed-in person is asked for a name')
    await waitFor(() => presenceLabel(page), (label) => label.includes(ADA.name), 'presence shows the person\'s name')
    await typeAtEnd(page, 'First line of the plan.')
    await waitSaved(page)

    await page.goto('/')
    await page.waitForSelector('#account:not([hidden])', { timeout: WAIT })
    await chooseTab(page, 'mine')
    const mine = await waitFor(() => listed(page), (items) => items.some((item) => item.room === room), 'Owned by me')
    const item = mine.find((entry) => entry.room === room)
    check(item.role === 'owner' && /Launch plan/.test(item.text) && /Owner/.test(item.text), `the item ${JSON.stringify(item)}`)
    check(new URL(page.url()).searchParams.get('scope') === 'mine', 'the tab is not kept in the address')
    await chooseTab(page, 'shared')
    await page.waitForSelector('#room-list .room-empty', { timeout: WAIT })
    await chooseTab(page, 'all')
    await waitFor(() => listed(page), (items) => items.some((entry) => entry.room === room), 'All')
    await captureLooks(page, 'home-signed-in')

    await page.click('#sign-out')
    await page.waitForURL((url) => url.pathname === '/signin', { timeout: WAIT })
    await page.goto(`/signin?next=${encodeURIComponent(`/d/${room}`)}`)
    await submitSignIn(page, ADA.email, ADA.password)
    await page.waitForURL((url) => url.pathname === `/d/${room}`, { timeout: WAIT })
    await waitStatus(page, 'connected')
    // Another origin in `next` is never followed.
    const { page: other } = await openPage(browser, '/signin?next=//example.org/x')
    await submitSignIn(other, GRACE.email, GRACE.password)
    await other.waitForURL((url) => url.pathname === '/', { timeout: WAIT })
    check(new URL(other.url()).host === new URL(page.url()).host, `next led to ${other.url()}`)

    // A provider's refusal comes back as ?error=; it is shown as it came.
    const { page: refused } = await openPage(browser, '/signin?error=Your%20account%20here%20is%20deactivated')
    await refused.waitForSelector('#signin-error:not([hidden])', { timeout: WAIT })
    check(await refused.textContent('#signin-error') === 'Your account here is deactivated', '?error= is not shown')
    // Too many failures: the server's 429 says how long to wait, and the button waits with it.
    for (let attempt = 1; attempt <= 6; attempt++) {
      await submitSignIn(refused, 'nobody@example.org', `wrong password ${attempt}`)
      await refused.waitForFunction((n) => {
        const error = document.getElementById('signin-error')
        return !error.hidden && (n < 6 ? !document.getElementById('signin-submit').disabled : /try again in \d+ seconds/i.test(error.textContent))
      }, attempt, { timeout: WAIT })
    }
    check(await refused.isDisabled('#signin-submit'), 'the button can be pressed while throttled')
  },

  /** A server with an OpenID Connect provider: the sign-in page's button goes to it, with `next`. */
  async 'sign-in-provider' (browser) {
    const { page } = await openPage(browser, '/signin?next=%2Fd%2Fplan')
    await page.waitForSelector('#signin-oidc:not([hidden])', { timeout: WAIT })
    check(await page.textContent('#signin-oidc-button') === 'Sign in with Keycloak', 'the provider button does not name it')
    const href = await page.getAttribute('#signin-oidc-button', 'href')
    check(href === '/auth/oidc/login?next=%2Fd%2Fplan', `the provider button goes to ${href}`)
    check(await page.isVisible('#signin-form'), 'the password form is gone while accounts exist')
    await captureLooks(page, 'signin-provider')
  },

  /**
   * Ada shares a document with Grace (picked from the suggestions) as an editor and with
   * Edsger (by email) as a viewer; it shows under Grace's "Shared with me", she edits it and
   * Ada sees the change; Edsger reads the list without controls; Ada removes Grace, whose page
   * shows the access-removed screen.
   */
  async 'share-person' (browser) {
    // No service worker for Ada: her requests are held by page.route below.
    const ada = await signedIn(browser, ADA, { serviceWorkers: 'block' })
    const room = await newDocument(ada.page, 'Shared plan')
    await typeAtEnd(ada.page, 'Hello Grace.')
    await waitSaved(ada.page)

    await openShare(ada.page)
    await ada.page.waitForSelector('#share-add:not([hidden])', { timeout: WAIT })
    await ada.page.fill('#share-person', 'Gra')
    await ada.page.waitForSelector('#share-suggestions:not([hidden]) [role="option"]', { timeout: WAIT })
    check(await ada.page.getAttribute('#share-person', 'aria-expanded') === 'true', 'the combobox is not expanded')
    await ada.page.keyboard.press('ArrowDown')
    await ada.page.keyboard.press('Enter')
    check(await ada.page.inputValue('#share-person') === GRACE.email, 'picking Grace did not fill her email')
    await ada.page.selectOption('#share-person-role', 'editor')
    await ada.page.click('#share-add button[type="submit"]')
    await ada.page.waitForSelector(`#access-list [data-email="${GRACE.email}"][data-role="editor"]`, { timeout: WAIT })
    await ada.page.fill('#share-person', EDSGER.email)
    await ada.page.selectOption('#share-person-role', 'viewer')
    await ada.page.click('#share-add button[type="submit"]')
    await ada.page.waitForSelector(`#access-list [data-email="${EDSGER.email}"][data-role="viewer"]`, { timeout: WAIT })
    // Nobody with that email: the server's reason.
    await ada.page.fill('#share-person', 'nobody@example.org')
    await ada.page.click('#share-add button[type="submit"]')
    await ada.page.waitForFunction(() => document.getElementById('share-people-message').dataset.tone === 'error', null, { timeout: WAIT })
    await ada.page.fill('#share-person', '')
    check(await ada.page.isVisible('#access-list .is-owner'), 'the owner is not listed')
    check(await ada.page.isVisible('#share-org') && await ada.page.isVisible('#share-transfer'), 'no organisation role or transfer for the owner')
    await captureLooks(ada.page, 'share-people')

    const grace = await signedIn(browser, GRACE)
    await chooseTab(grace.page, 'shared')
    const shared = await waitFor(() => listed(grace.page), (items) => items.some((item) => item.room === room), 'Shared with me')
    const item = shared.find((entry) => entry.room === room)
    check(item.owner === ADA.name && item.role === 'editor' && /owned by Ada Lovelace/.test(item.text) && /Can edit/.test(item.text),
      `Grace's item ${JSON.stringify(item)}`)
    await captureLooks(grace.page, 'home-shared-with-me')
    await grace.page.click(`#room-list [data-room="${room}"] .room-name`)
    await waitStatus(grace.page, 'connected')
    await grace.page.waitForFunction(() => window.collab, null, { timeout: WAIT })
    check(await grace.page.evaluate(() => window.collab.access.role) === 'editor', 'Grace is not an editor')
    check(await grace.page.isHidden('#name-prompt'), 'Grace is asked for a name')
    await waitFor(() => editorText(grace.page), (text) => text === 'Hello Grace.', 'Grace\'s text')
    await typeAtEnd(grace.page, ' Grace was here.')
    await waitSaved(grace.page)
    await waitFor(() => editorText(ada.page), (text) => text === 'Hello Grace. Grace was here.', 'Ada\'s text')
    await waitFor(() => presenceLabel(ada.page), (label) => label.includes(GRACE.name), 'Ada sees Grace')

    const edsger = await signedIn(browser, EDSGER)
    await edsger.page.goto(`/d/${room}`)
    await waitStatus(edsger.page, 'connected')
    await edsger.page.waitForFunction(() => window.collab, null, { timeout: WAIT })
    check(await edsger.page.isVisible('#role-badge'), 'Edsger (viewer) has no View only badge')
    await openShare(edsger.page)
    check(await edsger.page.isHidden('#share-add') && await edsger.page.isHidden('.access-remove') &&
      await edsger.page.isHidden('#share-org') && await edsger.page.isVisible('#share-org-text') &&
      await edsger.page.isHidden('#share-links'), 'a viewer sees the controls')
    await captureLooks(edsger.page, 'share-people-read-only')

    // Answers out of order: Ada reopens the dialog and removes Grace from the list it still
    // shows before its fresh read has answered. That read's answer (Grace still listed, read
    // before the removal) arrives after the removal's: it must not put her back.
    await ada.page.click('#share-dialog button[aria-label="Close the Share dialog"]')
    await ada.page.waitForSelector('#share-dialog:not([open])', { state: 'attached', timeout: WAIT })
    const accessUrl = `**/api/rooms/${room}/access`
    let readFetched
    const fetched = new Promise((resolve) => { readFetched = resolve })
    let releaseRead
    const removed = new Promise((resolve) => { releaseRead = resolve })
    await ada.page.route(accessUrl, async (route) => {
      if (route.request().method() !== 'GET') return route.continue()
      const response = await route.fetch()
      readFetched()
      await removed
      await route.fulfill({ response })
    })
    await ada.page.click('#share-button')
    await fetched
    check(await ada.page.getAttribute('#access-list', 'aria-busy') === 'true', 'the list is not marked busy while it is read')
    const removal = ada.page.waitForResponse((r) => r.request().method() === 'DELETE' && r.url().includes(`/api/rooms/${room}/access/`))
    await ada.page.click(`#access-list [data-email="${GRACE.email}"] .access-remove`)
    check((await removal).ok(), 'the removal failed')
    await ada.page.waitForFunction((email) => !document.querySelector(`#access-list [data-email="${email}"]`), GRACE.email, { timeout: WAIT })
    releaseRead()
    await ada.page.waitForSelector('#access-list:not([aria-busy])', { state: 'attached', timeout: WAIT })
    await ada.page.unroute(accessUrl)
    check(!await ada.page.$(`#access-list [data-email="${GRACE.email}"]`), 'an older answer put Grace back on the list')
    check(!!await ada.page.$(`#access-list [data-email="${EDSGER.email}"]`), 'Edsger is not on the list')
    const screen = await finalScreen(grace.page)
    check(screen.state === 'access-removed' && screen.code === '4403' && screen.title === 'Your access to this document was removed',
      `Grace's screen ${JSON.stringify(screen)}`)
    await captureLooks(grace.page, 'access-removed')

    // Edsger becomes an editor (his open page reopens able to edit), the organisation may view,
    // and Ada hands the document to Edsger (confirmed), staying on as an editor.
    await ada.page.selectOption(`#access-list [data-email="${EDSGER.email}"] .access-role`, 'editor')
    await ada.page.waitForSelector(`#access-list [data-email="${EDSGER.email}"][data-role="editor"]`, { timeout: WAIT })
    await ada.page.selectOption('#share-org', 'viewer')
    await waitFor(() => ada.page.textContent('#share-people-message'), (t) => /organisation/.test(t), 'the organisation message')
    await ada.page.click('#share-transfer')
    await ada.page.waitForSelector('#transfer-confirm[open]', { timeout: WAIT })
    await captureLooks(ada.page, 'share-transfer')
    await ada.page.selectOption('#transfer-to', { label: `${EDSGER.name} (${EDSGER.email})` })
    await ada.page.click('#transfer-confirm-yes')
    await waitFor(() => ada.page.textContent('#access-list .is-owner .access-name'), (name) => name.startsWith(EDSGER.name), 'the new owner')
    await ada.page.waitForSelector(`#access-list [data-email="${ADA.email}"][data-role="editor"]`, { timeout: WAIT })
    const access = await edsger.page.evaluate(async (room) => (await fetch(`/api/rooms/${room}/access`)).json(), room)
    check(access.organisation === 'viewer' && access.owner.name === EDSGER.name, `access ${JSON.stringify(access)}`)
  },

  /** A link visitor picks a name; the owner's presence list shows it, never the link's id. */
  async 'link-visitor' (browser) {
    const ada = await signedIn(browser, ADA)
    const room = await newDocument(ada.page, 'Open house')
    await openShare(ada.page)
    await ada.page.waitForSelector('#share-links:not([hidden])', { timeout: WAIT })
    await ada.page.selectOption('#share-role', 'editor')
    await ada.page.click('#share-form button[type="submit"]')
    await ada.page.waitForSelector('#share-result:not([hidden])', { timeout: WAIT })
    const url = new URL(await ada.page.inputValue('#share-url'))
    await ada.page.keyboard.press('Escape')

    const visitor = await openPage(browser, url.pathname + url.hash)
    await waitStatus(visitor.page, 'connected')
    await visitor.page.waitForSelector('#name-prompt:not([hidden])', { timeout: WAIT })
    await visitor.page.fill('#name-input', 'Visiting Vera')
    await visitor.page.keyboard.press('Enter')
    await waitFor(() => presenceLabel(ada.page), (label) => label.includes('Visiting Vera'), 'Ada sees the visitor\'s name')
    const label = await presenceLabel(ada.page)
    check(!/link:/.test(label), `the presence shows a link id: ${label}`)
    await typeAtEnd(visitor.page, 'Vera wrote this.')
    await waitSaved(visitor.page)
    // The next connection carries the picked name too (the server credits history with it).
    await visitor.page.reload()
    await waitStatus(visitor.page, 'connected')
    const last = visitor.sockets.at(-1).url
    check(new URL(last).searchParams.get('name') === 'Visiting Vera', `the socket URL ${last}`)
    check(room.length > 0, 'no room')
  },

  /**
   * An admin's People page lists everyone (last seen, documents owned); deactivating Grace
   * (confirmed) closes her open editor at once and keeps her out; reactivating her lets her sign
   * in again; Make admin (confirmed) gives her the People page, Remove admin takes it away.
   */
  async 'people-page' (browser) {
    const grace = await signedIn(browser, GRACE)
    check(await grace.page.isHidden('#people-link'), 'Grace (not an admin) has a People link')
    await newDocument(grace.page, 'Grace notes')

    const ada = await signedIn(browser, ADA)
    await ada.page.click('#people-link')
    await ada.page.waitForURL((url) => url.pathname === '/people', { timeout: WAIT })
    await ada.page.waitForSelector(`#people-rows [data-email="${GRACE.email}"]`, { timeout: WAIT })
    const rows = await peopleRows(ada.page)
    check(rows.length === 3, `rows ${JSON.stringify(rows)}`)
    const [adaRow, graceRow, edsgerRow] = [ADA, GRACE, EDSGER].map((person) => rows.find((row) => row.email === person.email))
    check(adaRow.name.includes(ADA.name) && adaRow.name.includes('(you)') && adaRow.chips.join() === 'Active,Admin' &&
      adaRow.actions.length === 0, `Ada's row ${JSON.stringify(adaRow)}`)
    check(graceRow.chips.join() === 'Active' && graceRow.way === 'Password' &&
      graceRow.actions.join() === 'Deactivate,Make admin', `Grace's row ${JSON.stringify(graceRow)}`)
    // Last seen: a time for those who signed in (just now, the moment in `datetime`), "Never"
    // for Edsger, who has not; documents owned: Grace made one.
    for (const row of [adaRow, graceRow]) {
      check(row.seen === 'just now' && Math.abs(Date.now() - Date.parse(row.seenAt)) < 10 * 60_000,
        `${row.email} last seen ${JSON.stringify(row)}`)
    }
    check(edsgerRow.seen === 'Never' && edsgerRow.seenAt === null, `Edsger last seen ${JSON.stringify(edsgerRow)}`)
    check([adaRow.owned, graceRow.owned, edsgerRow.owned].join() === '0,1,0',
      `documents owned ${[adaRow.owned, graceRow.owned, edsgerRow.owned]}`)
    await ada.page.fill('#people-search', 'grace')
    await waitFor(() => ada.page.evaluate(() => document.querySelectorAll('#people-rows tr').length), (n) => n === 1, 'the search')
    await ada.page.fill('#people-search', '')
    await waitFor(() => ada.page.evaluate(() => document.querySelectorAll('#people-rows tr').length), (n) => n === 3, 'the cleared search')
    await captureLooks(ada.page, 'people')

    // Deactivate (confirmed): her open editor closes, and she cannot sign in.
    await ada.page.click(`#people-rows [data-email="${GRACE.email}"] .person-deactivate`)
    await ada.page.waitForSelector('#person-confirm[open]', { timeout: WAIT })
    await captureLooks(ada.page, 'people-deactivate')
    await ada.page.click('#person-confirm-yes')
    await ada.page.waitForSelector(`#people-rows [data-email="${GRACE.email}"] .person-reactivate`, { timeout: WAIT })
    const screen = await finalScreen(grace.page)
    check(screen.code === '4403', `Grace's page after deactivation ${JSON.stringify(screen)}`)
    check((await personRow(ada.page, GRACE)).chips.join() === 'Deactivated', 'Grace is not shown deactivated')
    await waitFor(() => ada.page.textContent('#people-message'), (text) => text === `${GRACE.name} is deactivated.`, 'the message')
    await captureLooks(ada.page, 'people-deactivated')
    const { page: outside } = await openPage(browser, '/signin')
    await submitSignIn(outside, GRACE.email, GRACE.password)
    await outside.waitForSelector('#signin-error:not([hidden])', { timeout: WAIT })
    check(/incorrect/i.test(await outside.textContent('#signin-error')) && path(outside) === '/signin',
      'a deactivated Grace signed in')

    // Reactivate (no question): the row is active again and she signs in.
    await ada.page.click(`#people-rows [data-email="${GRACE.email}"] .person-reactivate`)
    await ada.page.waitForSelector(`#people-rows [data-email="${GRACE.email}"] .person-deactivate`, { timeout: WAIT })
    check((await personRow(ada.page, GRACE)).chips.join() === 'Active', 'Grace is not shown active again')
    await waitFor(() => ada.page.textContent('#people-message'), (text) => text === `${GRACE.name} is active again.`, 'the message')
    check(await ada.page.evaluate(() => document.activeElement?.classList.contains('person-deactivate')), 'the focus is lost')
    const back = await signedIn(browser, GRACE)
    check(await back.page.isHidden('#people-link'), 'Grace (not an admin yet) has a People link')

    // Make admin (confirmed): the Admin chip, and Grace's People link and page.
    await ada.page.click(`#people-rows [data-email="${GRACE.email}"] .person-admin`)
    await ada.page.waitForSelector('#person-confirm[open]', { timeout: WAIT })
    const asked = await ada.page.textContent('#person-confirm')
    check(asked.includes(`Make ${GRACE.name} an admin?`), `the question ${JSON.stringify(asked)}`)
    await captureLooks(ada.page, 'people-make-admin')
    await ada.page.click('#person-confirm-yes')
    await ada.page.waitForSelector(`#people-rows [data-email="${GRACE.email}"] .person-unadmin`, { timeout: WAIT })
    check((await personRow(ada.page, GRACE)).chips.join() === 'Active,Admin', 'Grace has no Admin chip')
    await waitFor(() => ada.page.textContent('#people-message'), (text) => text === `${GRACE.name} is now an admin.`, 'the message')
    await back.page.reload()
    await back.page.waitForSelector('#people-link:not([hidden])', { timeout: WAIT })
    await back.page.click('#people-link')
    await back.page.waitForURL((url) => url.pathname === '/people', { timeout: WAIT })
    await back.page.waitForSelector(`#people-rows [data-email="${ADA.email}"]`, { timeout: WAIT })
    const seenByGrace = await personRow(back.page, ADA)
    check(seenByGrace.chips.join() === 'Active,Admin' && seenByGrace.actions.join() === 'Deactivate,Remove admin',
      `Ada's row as Grace sees it ${JSON.stringify(seenByGrace)}`)
    check((await personRow(back.page, GRACE)).name.includes('(you)'), 'Grace is not told which row is hers')

    // Remove admin (no question): the chip goes, and so does Grace's People page.
    await ada.page.click(`#people-rows [data-email="${GRACE.email}"] .person-unadmin`)
    await ada.page.waitForSelector(`#people-rows [data-email="${GRACE.email}"] .person-admin`, { timeout: WAIT })
    check((await personRow(ada.page, GRACE)).chips.join() === 'Active', 'Grace still has an Admin chip')
    await waitFor(() => ada.page.textContent('#people-message'), (text) => text === `${GRACE.name} is no longer an admin.`, 'the message')
    await back.page.reload()
    await back.page.waitForSelector('#people-message:not([hidden])', { timeout: WAIT })
    check(await back.page.isHidden('#people-browser') && /Only the server’s admins/.test(await back.page.textContent('#people-message')),
      'Grace, no longer an admin, still sees everyone')
    await captureLooks(back.page, 'people-not-admin')
    await back.page.goto('/')
    await back.page.waitForSelector('#account:not([hidden])', { timeout: WAIT })
    check(await back.page.isHidden('#people-link'), 'Grace, no longer an admin, has a People link')
  }
}

run(scenarios)
