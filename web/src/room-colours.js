// Distinct colours within a room. Each person's colour comes from their id (identity.js), and
// with 12 colours two of five people share one more often than not. So each page watches the
// room's awareness: when another person present has this page's colour and had it first, this
// page takes the first free colour of the palette (its own colour first, if free). "First" is
// the time each page took its colour (the awareness field `colorSince`), ties broken by the
// lower client id, so two pages that clash at once settle on one answer: the later one moves,
// and a newcomer never takes a colour from someone already there.
import { PALETTE } from './identity.js'

/** The awareness field holding when this page took its colour (ms since the epoch). */
const SINCE = 'colorSince'

/**
 * Keep `identity.color` (and colorLight) distinct from the others present in `awareness`;
 * `onChange()` is called after each change, to show the new colour (surface.setUser).
 */
export function bindRoomColours (awareness, identity, onChange) {
  const preferred = identity.color
  awareness.setLocalStateField(SINCE, Date.now())
  const pick = () => {
    const me = awareness.clientID
    const mine = [awareness.getLocalState()?.[SINCE] ?? 0, me]
    const taken = new Set()
    let lost = false
    for (const [clientID, state] of awareness.getStates()) {
      const user = state && state.user
      // Several tabs of one person share their colour.
      if (clientID === me || !user || !user.color || user.id === identity.id) continue
      taken.add(user.color)
      if (user.color !== identity.color) continue
      const theirs = [state[SINCE] ?? 0, clientID]
      if (theirs[0] < mine[0] || (theirs[0] === mine[0] && theirs[1] < mine[1])) lost = true
    }
    if (!lost) return
    const free = [preferred, ...PALETTE].find((color) => !taken.has(color))
    if (!free) return // more people than colours: a clash cannot be avoided
    identity.color = free
    identity.colorLight = `${free}33`
    awareness.setLocalStateField(SINCE, Date.now())
    onChange()
  }
  awareness.on('change', pick)
  pick()
}
