// Every state the editor page can be in, designed once (see web/README.md "States").
// A *final* state replaces the editor with one screen: what happened, what to do next, and the
// server's reason once. A *passing* state keeps the editor and says what is going on in one line.
// Pure: no DOM here (screen.js draws these).
import { CLOSE_CODES, REASONS } from './contract.js'

/** The ways forward a screen can offer. */
export const ACTIONS = {
  signin: 'Sign in',
  home: 'All documents',
  discard: 'Use the server\'s copy',
  reload: 'Reload the page'
}

const ASK_OWNER = 'Ask the person who shared it for a new link, then open that link.'

const denied = (label, title, text, actions = ['home']) => ({ status: 'denied', label, title, text, actions })
const closed = (label, title, text, actions = ['home']) => ({ status: 'closed', label, title, text, actions })

/** Every final screen, by id; collab/contract.py names the one each close code leads to. */
const SCREENS = {
  'access-needed': denied('Access denied', 'Sign in to open this document',
    'Documents on this server are private. Sign in if it was shared with you, or open the share link you were given.',
    ['signin', 'home']),
  'link-invalid': denied('Access denied', 'This link does not work',
    `The link is damaged or was not made for this server. ${ASK_OWNER}`),
  'link-expired': denied('Link expired', 'This link has expired', ASK_OWNER),
  'access-denied': denied('Access denied', 'Your link does not open this document',
    'It was made for another document. Ask the document\'s owner for a link to this one.'),
  // A signed-in person (no link) the document is not shared with.
  'no-access': denied('Access denied', 'This document is not shared with you',
    'Ask its owner to share it with you, or to send you a link.'),
  // A viewer whose browser still holds edits the server never took (made offline, or while
  // this person could edit): every connect would send them again and be refused.
  'read-only-refused': denied('Read only', 'This browser holds changes you cannot save',
    'You can read this document but not edit it. Use the server\'s copy to drop this browser\'s changes and go on reading.',
    ['discard', 'home']),
  // A share link an admin revoked (docs/protocol.md "Close codes": a stable reason).
  'link-revoked': denied('Link revoked', 'This link was revoked', `It was taken back. ${ASK_OWNER}`),
  'not-found': closed('Not found', 'There is no document with this name',
    'It may have been renamed, or the link has a typo. Find it among all documents.'),
  deleted: closed('Deleted', 'This document was deleted',
    'Someone deleted it while it was open, or before you came. It cannot be edited any more.'),
  quarantined: closed('Unavailable', 'This document cannot be opened',
    'Its stored data could not be read safely, so the server set it aside. Ask the server\'s operator to look at it (collab quarantine).'),
  'bad-name': closed('Not found', 'This is not a document name',
    'Names are letters, digits and . _ ~ : @ + - only.'),
  error: closed('Disconnected', 'Something went wrong with this document',
    'The server closed the connection and will not take it back as it was. Reloading starts afresh.',
    ['reload', 'home'])
}

/** Access a host's re-check took away (its reason is for people, but says "revoked"). */
const ACCESS_REMOVED = denied('Access removed', 'Your access to this document was removed',
  'The owner took back this link. Ask them for access again if you still need it.')

/** A signed-in person's access taken away while the document was open (or their account). */
const PERSON_REMOVED = denied('Access removed', 'Your access to this document was removed',
  'Its owner or an admin took it back. Ask them for access again if you still need it.')

/** The stable reasons (collab/contract.py) that pick a screen of their own. */
const BY_REASON = new Map([[REASONS.readOnly, 'read-only-refused'], [REASONS.linkRevoked, 'link-revoked']])

/**
 * What the page shows after a final close `code` with `reason`:
 * {id, status, label, title, text, actions}. `status` is the pill's data-status
 * ('denied' for access, 'closed' otherwise); `label` its text. `person`: the page of a
 * signed-in person (no link); `wasOpen`: the document had been open on it.
 */
export function finalState (code, reason = '', { person = false, wasOpen = false } = {}) {
  const screen = CLOSE_CODES.get(code)?.screen
  const id = BY_REASON.get(reason) ?? (screen in SCREENS ? screen : 'error')
  if (person && id === 'access-denied') {
    return wasOpen ? { id: 'access-removed', ...PERSON_REMOVED } : { id: 'no-access', ...SCREENS['no-access'] }
  }
  if (id === 'access-denied' && /revoked/.test(reason)) return { id: 'link-revoked', ...ACCESS_REMOVED }
  return { id, ...SCREENS[id] }
}

/** Every passing state's line, by id (collab/contract.py names the one each retried code leads to). */
const PASSING = {
  restarting: 'The server is restarting. Your changes are kept here and sent when it is back.',
  busy: 'The server is too busy right now. Your changes are kept here; trying again shortly.',
  unreachable: 'Cannot reach the server. Your changes are kept here and sent when it answers.'
}

/** The line the page shows for a close it retries (1012 restarting, 1013 busy, ...). */
export function passingState (code) {
  const screen = CLOSE_CODES.get(code)?.screen
  const id = screen in PASSING ? screen : 'unreachable'
  return { id, text: PASSING[id] }
}

/** The line for a browser without a network. */
export const OFFLINE = { id: 'offline', text: 'You are offline. Your changes are kept in this browser and sent when you are back online.' }

/** The server's close reason, said once: "Server: token expired (code 4419)". */
export function reasonLine (code, reason) {
  return reason ? `Server: ${reason} (code ${code})` : `Code ${code}`
}
