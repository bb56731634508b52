// Links in the rich editor: the Link mark ends where the link ends (text typed right after a
// link, or after Ctrl+K at the caret, is not part of it), and Ctrl/Cmd+click opens a link in a
// new tab while the text is editable (a plain click places the caret, as in any editor).
import { Extension } from '@tiptap/core'
import { Link } from '@tiptap/extension-link'
import { Plugin, PluginKey } from '@tiptap/pm/state'
import { openLink, opensLink } from './link-hint.js'

/**
 * Tiptap's Link, not inclusive (Tiptap makes it inclusive when autolink is on); `openHint`: the
 * tooltip of a link without a title of its own (OPEN_HINT where the text is editable).
 */
export const ExclusiveLink = Link.extend({
  inclusive: () => false,
  addOptions () {
    return { ...this.parent?.(), openHint: null }
  },
  renderHTML (props) {
    const [tag, attrs, ...rest] = this.parent(props)
    return [tag, { ...attrs, title: attrs.title || this.options.openHint }, ...rest]
  }
})

function linkAt (view, event) {
  const target = event.target instanceof Element ? event.target.closest('a[href]') : null
  return target && view.dom.contains(target) ? target : null
}

/** Ctrl/Cmd+click opens the link under the pointer (its tooltip says so: rich.js). */
export const FollowLinks = Extension.create({
  name: 'followLinks',
  addProseMirrorPlugins () {
    return [new Plugin({
      key: new PluginKey('followLinks'),
      props: {
        handleDOMEvents: {
          click: (view, event) => {
            if (!opensLink(event)) return false
            const link = linkAt(view, event)
            if (!link) return false
            event.preventDefault()
            openLink(link.href)
            return true
          }
        }
      }
    })]
  }
})
