// Browser end-to-end scenario for agents in the presence list (issue 26 item 3), run by
// tests/browser/test_agents.py; see common.mjs for how it is driven.
import { WAIT, captureLooks, check, openPage, run, waitStatus } from './common.mjs'

const TOKENS = JSON.parse(process.env.COLLAB_E2E_TOKENS || '{}')

function presence (page, room, method, body) {
  return page.evaluate(async ([room, token, method, body]) => (await fetch(`/api/rooms/${room}/presence`, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: body ? JSON.stringify(body) : undefined
  })).status, [room, TOKENS.agent, method, body])
}

const scenarios = {
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
  }
}

run(scenarios)
