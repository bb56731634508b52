// Every state the editor page can be in, designed once (see web/README.md "States").
// A *final* state replaces the editor with one screen: what happened, what to do next, and the
// server's reason once. A *passing* state keeps the editor and says what is going on in one line.
// Pure: no DOM here (screen.js draws these).

/** The ways forward a screen can offer. */
export const ACTIONS = {
  home: 'All documents',
  discard: 'Use the server\'s copy',
  reload: 'Reload the page'
}

const ASK_OWNER = 'Ask the person who shared it for a new link, then open that link.'

/**
 * What the page shows after a final close `code` with `reason`:
 * {id, status, label, title, text, actions}. `status` is the pill's data-status
 * ('denied' for access, 'closed' otherwise); `label` its text.
 */
export function finalState (code, reason = '') {
  const denied = (id, label, title, text, actions = ['home']) => ({ id, status: 'denied', label, title, text, actions })
  const closed = (id, label, title, text, actions = ['home']) => ({ id, status: 'closed', label, title, text, actions })
  switch (code) {
    case 4401:
      return denied('access-needed', 'Access denied', 'You need a link to open this document',
        'Documents on this server are private. Open the share link you were given, or ask the document\'s owner for one.')
    case 4402:
      return denied('link-invalid', 'Access denied', 'This link does not work',
        `The link is damaged or was not made for this server. ${ASK_OWNER}`)
    case 4419:
      return denied('link-expired', 'Link expired', 'This link has expired', ASK_OWNER)
    case 4403:
      if (/read-only/.test(reason)) {
        // A viewer whose browser still holds edits the server never took (made offline, or
        // while this person could edit): every connect would send them again and be refused.
        return denied('read-only-refused', 'Read only', 'This browser holds changes you cannot save',
          'You can read this document but not edit it. Use the server\'s copy to drop this browser\'s changes and go on reading.',
          ['discard', 'home'])
      }
      if (reason === 'link revoked') {
        // A share link an admin revoked (docs/protocol.md "Close codes": a stable reason).
        return denied('link-revoked', 'Link revoked', 'This link was revoked',
          `It was taken back. ${ASK_OWNER}`)
      }
      if (/revoked/.test(reason)) {
        return denied('link-revoked', 'Access removed', 'Your access to this document was removed',
          'The owner took back this link. Ask them for access again if you still need it.')
      }
      return denied('access-denied', 'Access denied', 'Your link does not open this document',
        'It was made for another document. Ask the document\'s owner for a link to this one.')
    case 4404:
      return closed('not-found', 'Not found', 'There is no document with this name',
        'It may have been renamed, or the link has a typo. Find it among all documents.')
    case 4410:
      return closed('deleted', 'Deleted', 'This document was deleted',
        'Someone deleted it while it was open, or before you came. It cannot be edited any more.')
    case 4423:
      return closed('quarantined', 'Unavailable', 'This document cannot be opened',
        'Its stored data could not be read safely, so the server set it aside. Ask the server\'s operator to look at it (collab quarantine).')
    case 4400:
      return closed('bad-name', 'Not found', 'This is not a document name',
        'Names are letters, digits and . _ ~ : @ + - only.')
    default:
      return closed('error', 'Disconnected', 'Something went wrong with this document',
        'The server closed the connection and will not take it back as it was. Reloading starts afresh.',
        ['reload', 'home'])
  }
}

/** The line the page shows for a close it retries (1012 restarting, 1013 busy, ...). */
export function passingState (code) {
  if (code === 1012) return { id: 'restarting', text: 'The server is restarting. Your changes are kept here and sent when it is back.' }
  if (code === 1013) return { id: 'busy', text: 'The server is too busy right now. Your changes are kept here; trying again shortly.' }
  return { id: 'unreachable', text: 'Cannot reach the server. Your changes are kept here and sent when it answers.' }
}

/** The line for a browser without a network. */
export const OFFLINE = { id: 'offline', text: 'You are offline. Your changes are kept in this browser and sent when you are back online.' }

/** The server's close reason, said once: "Server: token expired (code 4419)". */
export function reasonLine (code, reason) {
  return reason ? `Server: ${reason} (code ${code})` : `Code ${code}`
}
