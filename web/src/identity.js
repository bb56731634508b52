// Who this person is: a random id, a display name and a colour, kept in localStorage.

const ID_KEY = 'collab:user-id'
const NAME_KEY = 'collab:user-name'

const ADJECTIVES = ['Brave', 'Calm', 'Clever', 'Curious', 'Gentle', 'Happy', 'Jolly', 'Kind',
  'Lucky', 'Merry', 'Nimble', 'Quiet', 'Sunny', 'Swift', 'Witty', 'Bright']
const ANIMALS = ['Otter', 'Fox', 'Heron', 'Panda', 'Lynx', 'Robin', 'Badger', 'Koala',
  'Falcon', 'Dolphin', 'Owl', 'Hare', 'Seal', 'Wren', 'Bison', 'Gecko']

/** Distinct, readable colours; each person gets one, derived from their id. */
// Each at least 4.5:1 against white, for the initials and name flags drawn on it.
export const PALETTE = ['#c8363b', '#b93f0c', '#7f6500', '#1d7447', '#0d7168', '#00679f', '#3e5bd6', '#6a50c9',
  '#933aa1', '#b52e77', '#765a3e', '#4f6873']

/** Read a key from localStorage; private browsing may forbid it. */
function load (key) {
  try { return localStorage.getItem(key) } catch { return null }
}

function store (key, value) {
  try { localStorage.setItem(key, value) } catch { /* not kept: fine */ }
}

function randomId () {
  const bytes = crypto.getRandomValues(new Uint8Array(8))
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

function hash (text) {
  let h = 2166136261
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619)
  return h >>> 0
}

/** A friendly default name such as "Curious Otter", stable for one id. */
export function friendlyName (id) {
  const h = hash(`name:${id}`)
  return `${ADJECTIVES[h % ADJECTIVES.length]} ${ANIMALS[(h >>> 8) % ANIMALS.length]}`
}

export function colorFor (id) {
  return PALETTE[hash(id) % PALETTE.length]
}

/** This person: {id, name, color, colorLight, chosen}; chosen is false until they confirm a name. */
export function loadIdentity () {
  let id = load(ID_KEY)
  if (!id) {
    id = randomId()
    store(ID_KEY, id)
  }
  const saved = load(NAME_KEY)
  const color = colorFor(id)
  return { id, name: saved || friendlyName(id), color, colorLight: `${color}33`, chosen: !!saved }
}

/** Keep a chosen display name; returns the cleaned name. */
export function saveName (name) {
  const clean = name.replace(/\s+/g, ' ').trim().slice(0, 40)
  if (clean) store(NAME_KEY, clean)
  return clean
}

/**
 * Up to two initials for an avatar: the first letter or digit of the first and last words
 * ("Team (admin)": "TA"); a name without any (only emoji, say) gives its first character.
 */
export function initials (name) {
  const all = name.trim().split(/\s+/).filter(Boolean)
  const words = all.map((word) => word.replace(/[^\p{L}\p{N}\p{M}]+/gu, '')).filter(Boolean)
  if (!words.length) return (Array.from(all[0] || '')[0] || '?').toUpperCase()
  // Whole characters (an emoji or a letter outside the BMP is two UTF-16 units).
  const first = (word) => Array.from(word)[0] || ''
  const letters = words.length > 1 ? first(words[0]) + first(words[words.length - 1]) : first(words[0] || '?')
  return letters.toUpperCase()
}
