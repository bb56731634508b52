// How the History panel words a version: its title, the people behind it, and its time.

export const KIND_LABELS = { named: 'Named', auto: 'Auto', restore: 'Restored' }
const DEFAULT_TITLES = { named: 'Named version', auto: 'Automatic version', restore: 'Restored version' }

/** "First draft", or a readable stand-in for versions without a label. */
export function versionTitle (version) {
  return version.label || DEFAULT_TITLES[version.kind] || 'Version'
}

/**
 * The title to show: the server's "Restored version 7" / "Before restoring version 7" become
 * Restored “First draft” / Before restoring “First draft” when `byId` (id -> version) knows 7.
 */
export function displayTitle (version, byId = new Map()) {
  const match = /^(Restored version|Before restoring version) (\d+)$/.exec(version.label || '')
  const target = match && byId.get(Number(match[2]))
  if (!target || !target.label || target.id === version.id) return versionTitle(version)
  return `${match[1] === 'Restored version' ? 'Restored' : 'Before restoring'} “${target.label}”`
}

/** "Alice", "Alice and Bob", "Alice, Bob and Carol", "Alice, Bob and 3 others". */
export function nameList (names) {
  const unique = [...new Set(names.filter(Boolean))]
  if (unique.length <= 1) return unique.join('')
  if (unique.length <= 3) return `${unique.slice(0, -1).join(', ')} and ${unique[unique.length - 1]}`
  return `${unique.slice(0, 2).join(', ')} and ${unique.length - 2} others`
}

/** Who is behind a version, as one line: "Saved by Alice · edits by Alice and Bob". */
export function peopleLine (version) {
  const parts = []
  if (version.author) {
    const verb = version.kind === 'restore' ? 'Restored' : version.kind === 'named' ? 'Saved' : 'Recorded'
    parts.push(`${verb} by ${version.author}`)
  }
  const authors = nameList(version.authors || [])
  if (authors) parts.push(`${parts.length ? 'edits' : 'Edits'} by ${authors}`)
  return parts.join(' · ')
}

/** An agent's credited name ("Scribe (for Ada)") as {agent, person} (person "" if none). */
export function agentAuthor (name) {
  const found = /^(.*) \(for (.*)\)$/.exec(name || '')
  return found ? { agent: found[1], person: found[2] } : { agent: name || 'An agent', person: '' }
}

/**
 * The same line as nodes made with `el` (history.js's), each agent among the names shown
 * with an "AI" badge as "Scribe for Ada" (the server lists which names are agents').
 */
export function peopleNodes (version, el) {
  const agents = new Map((version.agents || []).map((a) => [a.name, a]))
  const who = (name) => {
    const agent = agents.get(name)
    if (!agent) return document.createTextNode(name)
    const span = el('span', 'version-agent')
    span.title = `${agent.agent}, an agent acting for ${agent.person}`
    span.dataset.agent = agent.agent
    span.append(el('span', 'agent-badge', 'AI'), document.createTextNode(`${agent.agent} for ${agent.person}`))
    return span
  }
  const names = (list) => {
    const unique = [...new Set(list.filter(Boolean))]
    const shown = unique.length > 3 ? unique.slice(0, 2) : unique
    const out = []
    shown.forEach((name, i) => {
      if (i) out.push(document.createTextNode(i === shown.length - 1 && unique.length <= 3 ? ' and ' : ', '))
      out.push(who(name))
    })
    if (unique.length > 3) out.push(document.createTextNode(` and ${unique.length - 2} others`))
    return out
  }
  const parts = []
  if (version.author) {
    const verb = version.kind === 'restore' ? 'Restored' : version.kind === 'named' ? 'Saved' : 'Recorded'
    parts.push(document.createTextNode(`${verb} by `), who(version.author))
  }
  const authors = names(version.authors || [])
  if (authors.length) parts.push(document.createTextNode(`${parts.length ? ' · edits' : 'Edits'} by `), ...authors)
  return parts
}

const pad = (n) => String(n).padStart(2, '0')

/** "just now", "4 min ago", "Today, 14:03", "Yesterday, 09:12", "3 Nov, 18:40", "3 Nov 2024, 18:40". */
export function formatTime (iso, now = new Date()) {
  const when = new Date(iso)
  if (Number.isNaN(when.getTime())) return iso
  const seconds = (now - when) / 1000
  if (seconds >= -30 && seconds < 45) return 'just now'
  if (seconds >= 0 && seconds < 3600) return `${Math.max(1, Math.round(seconds / 60))} min ago`
  const clock = `${pad(when.getHours())}:${pad(when.getMinutes())}`
  const day = (d) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime()
  const days = Math.round((day(now) - day(when)) / 86400000)
  if (days === 0) return `Today, ${clock}`
  if (days === 1) return `Yesterday, ${clock}`
  const opts = { day: 'numeric', month: 'short' }
  if (when.getFullYear() !== now.getFullYear()) opts.year = 'numeric'
  return `${when.toLocaleDateString(undefined, opts)}, ${clock}`
}

export function shortTime (iso) {
  const when = new Date(iso)
  return Number.isNaN(when.getTime()) ? iso : when.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })
}

export function fullTime (iso) {
  const when = new Date(iso)
  return Number.isNaN(when.getTime()) ? iso : when.toLocaleString(undefined, { dateStyle: 'full', timeStyle: 'medium' })
}
