// The people acceptance scenarios, run by tests/browser/test_acceptance.py (see common.mjs for
// how they are driven). COLLAB_E2E_TOKENS gives the people as JSON: `owner` (signs in through
// the OpenID Connect provider: its sub, email and name), `teammate` (a built-in account: email,
// password, name), and `places`: the server the teammate's browser uses (`teammate`, else the
// owner's) and where the provider sends the owner back (`callback`, else the owner's server).
import { WAIT, baseUrl, check, openPage, run, waitSaved, waitStatus } from './common.mjs'
import {
  chooseTab, editorText, finalScreen, listed, newDocument, openShare, path, presenceLabel, signedIn, typeAtEnd, waitFor
} from './people.mjs'

const GIVEN = JSON.parse(process.env.COLLAB_E2E_TOKENS || '{}')
const OWNER = JSON.parse(GIVEN.owner || 'null')
const TEAMMATE = JSON.parse(GIVEN.teammate || 'null')
const PLACES = JSON.parse(GIVEN.places || '{}')

/** A fresh browser context on `base` (another server than the scenario's, say). */
function contextOn (browser, base) {
  return browser.newContext({ viewport: { width: 1100, height: 700 }, baseURL: base })
}

/** What the editor shows (CodeMirror's lines), as the person sees it. */
function shownText (page) {
  return page.evaluate(() => document.querySelector('.cm-content').innerText)
}

/**
 * Sign in on the sign-in page through the organisation's provider: its button, then the
 * provider's own page, where the person names themselves by `sub` (the provider knows their
 * email and name); back signed in on the home page of the server the provider sends them to.
 */
async function signInThroughProvider (page, person, providerName) {
  await page.waitForSelector('#signin-oidc:not([hidden])', { timeout: WAIT })
  const label = await page.textContent('#signin-oidc-button')
  check(label === `Sign in with ${providerName}`, `the provider button says ${JSON.stringify(label)}`)
  await page.click('#signin-oidc-button')
  await page.waitForURL((url) => url.pathname === '/oauth2/authorize', { timeout: WAIT })
  await page.fill('input[name="sub"]', person.sub)
  await page.getByRole('button', { name: 'Authorize', exact: true }).click()
  await page.waitForURL((url) => url.pathname === '/' && url.port !== '' && !url.searchParams.has('error'), { timeout: WAIT })
  await page.waitForSelector('#account:not([hidden])', { timeout: WAIT })
  const name = await page.textContent('#account-name')
  check(name === person.name, `signed in as ${JSON.stringify(name)}`)
}

const scenarios = {
  /**
   * The acceptance test: the owner signs in through the provider, creates "Q3 plan"
   * and shares it with the teammate as an editor; the teammate signs in with a password (on
   * the same server, or another process of its cluster), finds it under "Shared with me" and
   * edits while the owner watches; the owner removes the teammate, whose page shows the
   * access-removed screen.
   */
  async 'q3-plan' (browser) {
    const owner = await openPage(browser, '/signin')
    await signInThroughProvider(owner.page, OWNER, GIVEN.provider)
    const landed = new URL(owner.page.url()).origin
    check(landed === (PLACES.callback || baseUrl), `the provider sent the owner back to ${landed}`)
    if (landed !== baseUrl) {
      // The session the other process made is good here too (one database, one secret).
      await owner.page.goto('/')
      await owner.page.waitForSelector('#account:not([hidden])', { timeout: WAIT })
      check(await owner.page.textContent('#account-name') === OWNER.name, 'the owner is not signed in here')
    }
    const room = await newDocument(owner.page, 'Q3 plan')
    check(await owner.page.evaluate(() => window.collab.access.role) === 'admin', 'the owner is not its admin')
    await typeAtEnd(owner.page, 'Goals for Q3.')
    await waitSaved(owner.page)

    await openShare(owner.page)
    const ownerRow = await owner.page.textContent('#access-list .is-owner .access-name')
    check(ownerRow.startsWith(OWNER.name), `the owner row says ${JSON.stringify(ownerRow)}`)
    await owner.page.fill('#share-person', TEAMMATE.email)
    await owner.page.selectOption('#share-person-role', 'editor')
    await owner.page.click('#share-add button[type="submit"]')
    await owner.page.waitForSelector(`#access-list [data-email="${TEAMMATE.email}"][data-role="editor"]`, { timeout: WAIT })
    await owner.page.click('#share-dialog button[aria-label="Close the Share dialog"]')
    await owner.page.waitForSelector('#share-dialog:not([open])', { state: 'attached', timeout: WAIT })

    const context = PLACES.teammate ? await contextOn(browser, PLACES.teammate) : undefined
    const teammate = await signedIn(browser, TEAMMATE, { context })
    await chooseTab(teammate.page, 'shared')
    const shared = await waitFor(() => listed(teammate.page), (items) => items.some((item) => item.room === room), 'Shared with me')
    const item = shared.find((entry) => entry.room === room)
    check(item.owner === OWNER.name && item.role === 'editor' && /Q3 plan/.test(item.text) && /Can edit/.test(item.text),
      `the teammate's item ${JSON.stringify(item)}`)
    await teammate.page.click(`#room-list [data-room="${room}"] .room-name`)
    await waitStatus(teammate.page, 'connected')
    await teammate.page.waitForFunction(() => window.collab, null, { timeout: WAIT })
    check(path(teammate.page) === `/d/${room}`, `the teammate opened ${teammate.page.url()}`)
    check(await teammate.page.evaluate(() => window.collab.access.role) === 'editor', 'the teammate is not an editor')
    await waitFor(() => editorText(teammate.page), (text) => text === 'Goals for Q3.', 'the teammate\'s text')
    await typeAtEnd(teammate.page, ' Hire two engineers.')
    await waitSaved(teammate.page)
    await waitFor(() => shownText(owner.page), (text) => text.includes('Goals for Q3. Hire two engineers.'), 'what the owner sees')
    await waitFor(() => presenceLabel(owner.page), (label) => label.includes(TEAMMATE.name), 'the owner sees the teammate')

    await openShare(owner.page)
    await owner.page.click(`#access-list [data-email="${TEAMMATE.email}"] .access-remove`)
    await owner.page.waitForFunction((email) => !document.querySelector(`#access-list [data-email="${email}"]`), TEAMMATE.email, { timeout: WAIT })
    const screen = await finalScreen(teammate.page)
    check(screen.state === 'access-removed' && screen.code === '4403' && screen.title === 'Your access to this document was removed',
      `the teammate's screen ${JSON.stringify(screen)}`)
    // Their home page no longer lists it; the owner's text is as it was.
    await teammate.page.goto('/?scope=shared')
    await teammate.page.waitForSelector('#room-list .room-empty', { timeout: WAIT })
    check(await editorText(owner.page) === 'Goals for Q3. Hire two engineers.', 'the owner\'s text changed')
  },

  /**
   * A signed-in person who types the address of a document nobody made yet gets it, as its
   * owner: the editor opens ready to write, and their home page lists it as theirs.
   */
  async 'new-name' (browser) {
    const teammate = await signedIn(browser, TEAMMATE)
    const room = `fresh-notes-${Date.now()}`
    await teammate.page.goto(`/d/${room}`)
    await waitStatus(teammate.page, 'connected')
    await teammate.page.waitForFunction(() => window.collab, null, { timeout: WAIT })
    const role = await teammate.page.evaluate(() => window.collab.access.role)
    check(role === 'admin', `the person's role on the new document is ${role}`)
    await typeAtEnd(teammate.page, 'My own notes.')
    await waitSaved(teammate.page)
    const info = await teammate.page.evaluate(async (r) => {
      const res = await fetch(`/api/rooms/${r}`, { headers: { accept: 'application/json' } })
      return { status: res.status, body: await res.json() }
    }, room)
    check(info.status === 200 && info.body.owner?.name === TEAMMATE.name && info.body.role === 'admin',
      `GET /api/rooms/${room}: ${JSON.stringify(info)}`)
    await teammate.page.goto('/?scope=mine')
    await waitFor(() => listed(teammate.page), (items) => items.some((i) => i.room === room && i.role === 'owner'), 'Owned by me')
  }
}

run(scenarios)
