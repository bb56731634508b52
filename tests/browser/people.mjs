// What the people scenarios (people_e2e.mjs, acceptance_e2e.mjs) do in a page: sign in, make a
// document from the home page, read the home page's list, type, share, and wait for the page's
// final screen.
import { WAIT, openPage, waitStatus } from './common.mjs'

/** Poll `read` until `predicate` holds of what it gives; throws with the last value after WAIT. */
export async function waitFor (read, predicate, what) {
  const deadline = Date.now() + WAIT
  let now
  while (Date.now() < deadline) {
    now = await read()
    if (predicate(now)) return now
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`${what}: got ${JSON.stringify(now)}`)
}

export const path = (page) => new URL(page.url()).pathname

/** Fill and send the sign-in form of `page` (at /signin). */
export async function submitSignIn (page, email, password) {
  await page.fill('#signin-email', email)
  await page.fill('#signin-password', password)
  await page.click('#signin-submit')
}

/** A fresh browser context signed in as `person` through the sign-in page, on the home page. */
export async function signedIn (browser, person, options = {}) {
  const opened = await openPage(browser, '/signin', options)
  await opened.page.waitForSelector('#signin-form', { timeout: WAIT })
  await submitSignIn(opened.page, person.email, person.password)
  await opened.page.waitForURL((url) => url.pathname === '/', { timeout: WAIT })
  await opened.page.waitForSelector('#account:not([hidden])', { timeout: WAIT })
  return opened
}

/** Create a document from the home page's form; resolves to its name once its editor is live. */
export async function newDocument (page, title, kind = 'text') {
  await page.fill('#new-title', title)
  await page.check(`input[name="kind"][value="${kind}"]`)
  await page.click('#new-room-form button[type="submit"]')
  await page.waitForURL((url) => url.pathname.startsWith('/d/'), { timeout: WAIT })
  await waitStatus(page, 'connected')
  await page.waitForFunction(() => window.collab, null, { timeout: WAIT })
  return decodeURIComponent(path(page).slice(3))
}

/** The home page's list items: [{room, role, owner, text}]. */
export function listed (page) {
  return page.evaluate(() => [...document.querySelectorAll('#room-list .room-item')].map((el) => ({
    room: el.dataset.room,
    role: el.dataset.role,
    owner: el.dataset.owner,
    text: el.textContent
  })))
}

/** Choose the home page's tab `scope` (all, mine, shared) and wait for its list. */
export async function chooseTab (page, scope) {
  await page.click(`#scope-${scope}`)
  await page.waitForFunction((s) => document.getElementById(`scope-${s}`).getAttribute('aria-selected') === 'true' &&
    document.getElementById('room-list').getAttribute('aria-busy') === 'false', scope, { timeout: WAIT })
}

export function editorText (page) {
  return page.evaluate(() => window.collab.ytext.toString())
}

export async function typeAtEnd (page, words) {
  await page.click('.cm-content')
  await page.keyboard.press('Control+End')
  await page.keyboard.type(words, { delay: 10 })
}

/** The presence list's label and its people's names, as one string. */
export function presenceLabel (page) {
  return page.evaluate(() => {
    const list = document.getElementById('presence')
    return [list.getAttribute('aria-label'), ...[...list.querySelectorAll('li')].map((li) => li.title)].join(' | ')
  })
}

/** Wait for the editor page's final screen (the editor closed for good): {state, code, title}. */
export async function finalScreen (page) {
  await page.waitForFunction(() => document.body.dataset.view === 'blocked', null, { timeout: WAIT })
  return page.evaluate(() => ({
    state: document.getElementById('state-screen').dataset.state,
    code: document.getElementById('state-screen').dataset.code,
    title: document.getElementById('state-title').textContent
  }))
}

/** Open the editor's Share dialog and wait for its list of who has access. */
export async function openShare (page) {
  await page.click('#share-button')
  await page.waitForSelector('#share-dialog[open]', { timeout: WAIT })
  // The list as the server has it now, not as the dialog last showed it.
  await page.waitForSelector('#access-list:not([aria-busy]) .access-item', { timeout: WAIT })
}
