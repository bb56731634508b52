// How a link in editable text is opened (Ctrl+click, ⌘-click on a Mac), for both editors.

export const MAC = /Mac|iPhone|iPad/.test(navigator.platform)

/** The tooltip of a link in editable text. */
export const OPEN_HINT = MAC ? '⌘-click to open the link' : 'Ctrl+click to open the link'

/** Is `event` the click that opens a link (the main button with Ctrl, or ⌘ on a Mac)? */
export const opensLink = (event) => event.button === 0 && (MAC ? event.metaKey : event.ctrlKey)

/** Open `url` in a new tab that cannot reach this page. */
export function openLink (url) {
  window.open(url, '_blank', 'noopener,noreferrer')
}
