// "Agents' work" in the History panel: the agent sessions that edited this document (for those
// who may edit), each with "Revert", which undoes that session's edits as a new edit and keeps
// what everyone else wrote (POST .../agent-sessions/{session}/revert).

import { agentAuthor } from './history-words.js'

/** The agents part of the panel `h` (history.js): loadAgents. */
export function agentsPart (h) {
  const { $, el } = h
  const section = $('agent-work')
  const list = $('agent-work-list')
  const base = `/api/rooms/${encodeURIComponent(h.room)}/agent-sessions`
  let sessions = []
  let asking = null // the session whose revert is being confirmed

  async function call (method, path = '') {
    const res = await fetch(base + path, { method, cache: 'no-store', headers: { accept: 'application/json', ...(h.authHeaders?.() || {}) } })
    let data = null
    try { data = await res.json() } catch { /* no body */ }
    if (!res.ok) throw new Error((data && data.detail) || `The server answered ${res.status}.`)
    return data
  }

  async function loadAgents () {
    if (!h.can.saveVersion) return
    try {
      sessions = (await call('GET')).items
    } catch {
      sessions = []
    }
    render()
  }

  function render () {
    section.hidden = sessions.length === 0
    list.replaceChildren(...sessions.map(item))
  }

  function item (s) {
    const li = el('li', 'agent-work-item')
    li.dataset.session = s.session
    const who = el('span', 'agent-work-who')
    const { agent, person } = agentAuthor(s.agent)
    const label = person ? `${agent} for ${person}` : agent
    who.append(el('span', 'agent-badge', 'AI'), document.createTextNode(label))
    who.title = person ? `${agent}, an agent acting for ${person}` : agent
    const edits = `${s.edits} ${s.edits === 1 ? 'edit' : 'edits'}`
    const state = s.reverted ? 'reverted' : s.revertible ? '' : 'too old to revert'
    const meta = el('span', 'agent-work-meta', [edits, state].filter(Boolean).join(' · '))
    li.append(who, meta)
    if (!s.revertible) return li
    if (asking !== s.session) {
      const revert = el('button', 'secondary-button agent-revert', 'Revert')
      revert.type = 'button'
      revert.setAttribute('aria-label', `Revert the work of ${label}`)
      revert.addEventListener('click', () => {
        asking = s.session
        render()
        list.querySelector(`[data-session="${CSS.escape(s.session)}"] .agent-revert-yes`)?.focus()
      })
      li.append(revert)
      return li
    }
    const confirm = el('div', 'agent-revert-confirm')
    confirm.setAttribute('role', 'group')
    confirm.setAttribute('aria-label', 'Confirm the revert')
    const question = el('p', 'agent-revert-question', `Undo its ${edits}? What others wrote stays.`)
    const yes = el('button', 'primary-button agent-revert-yes', 'Revert')
    yes.type = 'button'
    const no = el('button', 'secondary-button agent-revert-no', 'Cancel')
    no.type = 'button'
    no.addEventListener('click', () => {
      asking = null
      render()
      list.querySelector(`[data-session="${CSS.escape(s.session)}"] .agent-revert`)?.focus()
    })
    yes.addEventListener('click', async () => {
      yes.disabled = true
      no.disabled = true
      try {
        const done = await call('POST', `/${encodeURIComponent(s.session)}/revert`)
        h.say(done.changed ? `Reverted the work of ${agent}.` : `Nothing of ${agent}'s work was left to undo.`, 'ok')
      } catch (err) {
        h.say(`Could not revert. ${err.message}`, 'error')
      }
      asking = null
      await loadAgents()
    })
    confirm.append(question, yes, no)
    li.append(confirm)
    return li
  }

  return { loadAgents }
}
