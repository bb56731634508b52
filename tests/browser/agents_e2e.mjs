// Browser end-to-end scenario for agents in the presence list (issue 26 item 3), run by
// tests/browser/test_agents.py; see common.mjs for how it is driven.
import { WAIT, captureLooks, check, openHistory, openPage, run, waitSaved, waitStatus } from './common.mjs'

const TOKENS = JSON.parse(process.env.COLLAB_E2E_TOKENS || '{}')

function presence (page, room, method, body) {
  return page.evaluate(async ([room, token, method, body]) => (await fetch(`/api/rooms/${room}/presence`, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: body ? JSON.stringify(body) : undefined
  })).status, [room, TOKENS.agent, method, body])
}

/** Where the agent's caret stands on a rich page: the text of its paragraph before it. */
function agentCaret (page) {
  return page.evaluate(() => {
    const caret = [...document.querySelectorAll('.rich-content .collaboration-carets__caret')]
      .find((c) => c.querySelector('.collaboration-carets__label')?.textContent.includes('Scribe'))
    if (!caret) return null
    const block = caret.closest('p, h1, h2, h3, li')
    const before = document.createRange()
    before.setStart(block, 0)
    before.setEndBefore(caret)
    return { label: caret.querySelector('.collaboration-carets__label').textContent, before: before.toString() }
  })
}

async function waitCaret (page, wanted, what) {
  const deadline = Date.now() + WAIT
  let now
  while (Date.now() < deadline) {
    now = await agentCaret(page)
    if (now && now.before === wanted) return now
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`${what}: ${JSON.stringify(now)}`)
}

const scenarios = {
  /**
   * An agent sets its presence with a selection in a rich-text document (over REST): the page's
   * editor draws its caret, named, where the selection ends; a new selection moves it.
   */
  async 'agent-rich-cursor' (browser) {
    const room = 'rich-plan'
    const { page } = await openPage(browser, `/d/${room}#token=${TOKENS.person}`)
    await waitStatus(page, 'connected')
    await page.waitForFunction(() => window.collab?.editor?.getText().includes('Second line'), null, { timeout: WAIT })
    check(await presence(page, room, 'PUT', { status: 'working', selection: { index: 6 }, ttl_seconds: 120 }) === 200, 'PUT refused')
    const first = await waitCaret(page, 'Hello ', 'the agent’s caret after “Hello ”')
    check(first.label === 'Scribe (for Ada)', `the caret is labelled ${first.label}`)
    // "Second" is selected: the caret stands at the selection's end, in the second paragraph.
    check(await presence(page, room, 'PUT', { status: 'working', selection: { index: 12, length: 6 }, ttl_seconds: 120 }) === 200, 'PUT refused')
    await waitCaret(page, 'Second', 'the agent’s caret after “Second”')
    check(await presence(page, room, 'DELETE') === 204, 'DELETE refused')
    await page.waitForFunction(() => ![...document.querySelectorAll('.collaboration-carets__label')].some((l) => l.textContent.includes('Scribe')), null, { timeout: WAIT })
  },

  /**
   * An agent says it is working (over REST): the editor's presence list shows it marked as an
   * agent, working; idle drops the working ring; removing it takes it off the list.
   */
  async 'agent-presence' (browser) {
    const room = 'q3-plan'
    const { page } = await openPage(browser, `/d/${room}#token=${TOKENS.person}`)
    await waitStatus(page, 'connected')
    check(await presence(page, room, 'PUT', { status: 'working', ttl_seconds: 120 }) === 200, 'PUT refused')
    const agent = '#presence .avatar-agent[data-status="working"]'
    await page.waitForSelector(agent, { timeout: WAIT })
    const title = await page.getAttribute(agent, 'title')
    check(title === 'Scribe (for Ada), agent, working', `the agent's title is ${title}`)
    const label = await page.getAttribute('#presence', 'aria-label')
    check(label.includes('Scribe (for Ada), agent, working'), `the list's label is ${label}`)
    await captureLooks(page, 'agent-working')
    check(await presence(page, room, 'PUT', { status: 'idle' }) === 200, 'PUT idle refused')
    await page.waitForSelector('#presence .avatar-agent[data-status="idle"]', { timeout: WAIT })
    check(await presence(page, room, 'DELETE') === 204, 'DELETE refused')
    await page.waitForSelector('#presence .avatar-agent', { state: 'detached', timeout: WAIT })
  },

  /**
   * The agent edits over REST and a version is saved: the History panel names it among the
   * version's people with an "AI" badge, as the agent it is and the person it acts for.
   */
  async 'agent-history' (browser) {
    const room = 'q3-plan'
    const { page } = await openPage(browser, `/d/${room}#token=${TOKENS.person}`)
    await waitStatus(page, 'connected')
    const call = (token, method, path, body) => page.evaluate(async ([token, method, path, body]) => (await fetch(path, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body)
    })).status, [token, method, path, body])
    check(await call(TOKENS.agent, 'PATCH', `/api/rooms/${room}/text`, { text: 'Drafted by Scribe.' }) === 200, 'the agent could not edit')
    check(await call(TOKENS.person, 'POST', `/api/rooms/${room}/versions`, { label: 'After the agent' }) === 201, 'no version saved')
    await openHistory(page)
    const badge = '#version-list .version-people .version-agent[data-agent="Scribe"]'
    await page.waitForSelector(badge, { timeout: WAIT })
    const text = await page.textContent(badge)
    check(text === 'AIScribe for Ada', `the agent shows as ${JSON.stringify(text)}`)
    const title = await page.getAttribute(badge, 'title')
    check(title === 'Scribe, an agent acting for Ada', `its title is ${title}`)
    const line = await page.textContent('#version-list .version-people')
    check(line.includes('edits by') && line.includes('Scribe for Ada'), `the line reads ${line}`)
    await captureLooks(page, 'agent-history')

    // "Agents' work" lists the agent's session with Revert, which asks first and then undoes
    // it on every page; the session stays listed, reverted.
    const work = '#agent-work .agent-work-item'
    await page.waitForSelector(`${work} .agent-revert`, { timeout: WAIT })
    const listed = await page.textContent(work)
    check(listed.includes('Scribe for Ada') && listed.includes('edit'), `Agents' work reads ${listed}`)
    await page.click(`${work} .agent-revert`)
    await page.waitForSelector(`${work} .agent-revert-yes`, { timeout: WAIT })
    check(await page.evaluate(() => document.activeElement.classList.contains('agent-revert-yes')), 'the confirmation does not have the keyboard')
    await captureLooks(page, 'agent-revert-confirm')
    check(await page.evaluate(() => window.collab.surface.text()) === 'Drafted by Scribe.', 'the text changed before the revert was confirmed')
    await page.click(`${work} .agent-revert-yes`)
    await page.waitForFunction(() => !window.collab.surface.text().includes('Scribe'), null, { timeout: WAIT })
    await page.waitForFunction((w) => document.querySelector(w)?.textContent.includes('reverted'), work, { timeout: WAIT })
    check(await page.locator(`${work} .agent-revert`).count() === 0, 'a reverted session can be reverted again')
    const said = await page.textContent('#history-message')
    check(said === 'Reverted the work of Scribe.', `the panel said ${said}`)
  },

  /**
   * A rich-text document: the agent rewrites a word and adds a paragraph (PATCH .../content, as
   * Markdown); Grace, in the editor, keeps typing while its session is reverted: the agent's
   * word and paragraph go, the original word comes back, and everything she typed stays.
   */
  async 'agent-rich-revert' (browser) {
    const room = 'notes'
    const { page } = await openPage(browser, `/d/${room}#token=${TOKENS.person}`)
    await waitStatus(page, 'connected')
    await page.waitForSelector('.rich-content', { timeout: WAIT })
    const call = (token, method, path, body) => page.evaluate(async ([token, method, path, body]) => (await fetch(path, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: body === undefined ? undefined : JSON.stringify(body)
    })).status, [token, method, path, body])
    const html = () => page.evaluate(() => window.collab.editor.getHTML())
    const waitHtml = async (predicate, what) => {
      const deadline = Date.now() + WAIT
      let now = ''
      while (Date.now() < deadline) {
        now = await html()
        if (predicate(now)) return now
        await page.waitForTimeout(100)
      }
      throw new Error(`${what}: the document is ${now}`)
    }
    await waitHtml((h) => h.includes('Ship in May.'), 'the first content')
    const agentMarkdown = '# Plan\n\nShip in June.\n\nAn agent paragraph.\n'
    check(await call(TOKENS.agent, 'PATCH', `/api/rooms/${room}/content`, { markdown: agentMarkdown }) === 200, 'the agent could not edit')
    await waitHtml((h) => h.includes('An agent paragraph.') && h.includes('Ship in June.'), 'the agent\'s edit')
    await page.click('.rich-content h1')
    await page.keyboard.press('End')
    await page.keyboard.type(' for Q3', { delay: 20 })
    const [status] = await Promise.all([
      call(TOKENS.person, 'POST', `/api/rooms/${room}/agent-sessions/${TOKENS.session}/revert`),
      page.keyboard.type(' and beyond', { delay: 20 })
    ])
    check(status === 200, `revert answered ${status}`)
    const final = await waitHtml((h) => !h.includes('An agent paragraph.') && h.includes('Ship in May.'), 'the revert')
    check(final.includes('Plan for Q3 and beyond'), `Grace's typing was lost: ${final}`)
    await waitSaved(page)
    const markdown = await page.evaluate(async ([room, token]) => (await fetch(`/api/rooms/${room}/content`, {
      headers: { authorization: `Bearer ${token}` }
    })).json(), [room, TOKENS.person])
    check(markdown.markdown === '# Plan for Q3 and beyond\n\nShip in May.\n', `the document is ${JSON.stringify(markdown.markdown)}`)
  }
}

run(scenarios)