// The rich editor scrolls the caret into view below the sticky header and toolbar: ProseMirror's
// scrollThreshold and scrollMargin, read each time it scrolls (the bars change height with the
// window's width and the link form), from scroll-margin.js.
import { Extension } from '@tiptap/core'
import { Plugin, PluginKey } from '@tiptap/pm/state'
import { coveredTop } from './scroll-margin.js'

const EDGE = 5 // ProseMirror's own margin on the other sides

export const ScrollClear = Extension.create({
  name: 'scrollClear',
  addProseMirrorPlugins () {
    const plugin = new Plugin({ key: new PluginKey('scrollClear') })
    // Getters: ProseMirror reads plugin props when it scrolls, so the bars are measured then.
    Object.defineProperties(plugin.props, {
      scrollThreshold: { enumerable: true, get: () => ({ top: coveredTop(), bottom: 0, left: 0, right: 0 }) },
      scrollMargin: { enumerable: true, get: () => ({ top: coveredTop(), bottom: EDGE, left: EDGE, right: EDGE }) }
    })
    return [plugin]
  }
})
