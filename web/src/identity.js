// Who this person is: a random id, a display name and a colour, kept in localStorage.

const ID_KEY = 'collab:user-id'
const NAME_KEY = 'collab:user-name'

const ADJECTIVES = ['Brave', 'Calm', 'Clever', 'Curious', 'Gentle', 'Happy', 'Jolly', 'Kind',
  'Lucky', 'Merry', 'Nimble', 'Quiet', 'Sunny', 'Swift', 'Witty', 'Bright']
const ANIMALS = ['Otter', 'Fox', 'Heron', 'Panda', 'Lynx', 'Robin', 'Badger', 'Koala',
  'Falcon', 'Dolphin', 'Owl', 'Hare', 'Seal', 'Wren', 'Bison', 'Gecko']

/** Distinct, readable colours; each person gets one, derived from their id. */
const PALETTE = ['#e5484d', '#f76b15', '#d6a100', '#30a46c', '#12a594', '#0090ff',
  '#3e63dd', '#6e56cf', '#ab4aba', '#d6409f', '#8d6e4f', '#5b7b8a']

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

/** Up to two initials for an avatar. */
export function initials (name) {
  const words = name.trim().split(/\s+/).filter(Boolean)
  const letters = words.length > 1 ? words[0][0] + words[words.length - 1][0] : (words[0] || '?')[0]
  return letters.toUpperCase()
}
