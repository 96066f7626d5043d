// The list a composer trigger opens (createComposer's onTrigger/onTriggerKey): `::` text
// modules (src/text-modules.js) and `@` mentions (src/mentions.js) are each one of these.
// The list is narrowed by the query typed after the trigger; ArrowUp/ArrowDown choose, Enter or
// Tab (or a click) take the chosen item in place of the trigger, Escape closes the list until
// the trigger goes away.
//
// triggerPicker(el, options) -> { onTrigger(query), onTriggerKey(key), destroy() }
//   el        where the list is shown (appended as the composer's last child)
//   options {
//     className            the list's class (also `trigger-picker`)
//     label                the list's accessible name
//     empty                the text of the list when nothing matches
//     load(query) -> Promise<[item]>   the items matching `query` (only the newest query's
//                          answer is shown; queries are debounced)
//     render(item, li)     fills the option `li` (its text, data attributes)
//     choose(item) -> bool puts the item in place of the trigger (false: it could not)
//   }
//   onTrigger / onTriggerKey take what createComposer reports for this picker's kind.

export function triggerPicker (el, { className, label, empty, load, render, choose: take }) {
  const list = document.createElement('ul')
  list.className = `trigger-picker ${className}`
  list.setAttribute('role', 'listbox')
  list.setAttribute('aria-label', label)
  list.hidden = true
  el.appendChild(list)

  let items = []
  let selected = 0
  let open = false
  let dismissed = false // Escape: closed until the trigger goes away
  let request = 0 // only the answer to the newest query is shown
  let timer = null

  const draw = () => {
    list.textContent = ''
    if (!open) { list.hidden = true; return }
    // below the editor (which the composer may have put in `el` after the list)
    if (list !== el.lastElementChild) el.appendChild(list)
    list.hidden = false
    if (items.length === 0) {
      const li = document.createElement('li')
      li.className = 'empty'
      li.textContent = empty
      list.appendChild(li)
      return
    }
    items.forEach((item, i) => {
      const li = document.createElement('li')
      li.setAttribute('role', 'option')
      li.setAttribute('aria-selected', String(i === selected))
      render(item, li)
      // mousedown, not click: the editor keeps the focus and the caret stays after the trigger
      li.addEventListener('mousedown', (ev) => { ev.preventDefault(); choose(i) })
      list.appendChild(li)
    })
    const current = list.children[selected]
    if (current && typeof current.scrollIntoView === 'function') current.scrollIntoView({ block: 'nearest' })
  }

  const close = () => { open = false; items = []; request++; draw() }

  function choose (i) {
    const item = items[i]
    if (!item) return false
    const done = take(item)
    close()
    return done !== false
  }

  function onTrigger (query) {
    if (timer) { clearTimeout(timer); timer = null }
    if (query === null) { dismissed = false; close(); return }
    if (dismissed) return
    const mine = ++request
    timer = setTimeout(() => {
      timer = null
      Promise.resolve(load(query)).then((found) => {
        if (mine !== request || dismissed) return
        items = Array.isArray(found) ? found : []
        selected = 0
        open = true
        draw()
      }, () => { if (mine === request) close() })
    }, 80)
  }

  function onTriggerKey (key) {
    if (!open) return false
    switch (key) {
      case 'ArrowDown':
        if (items.length) { selected = (selected + 1) % items.length; draw() }
        return true
      case 'ArrowUp':
        if (items.length) { selected = (selected - 1 + items.length) % items.length; draw() }
        return true
      case 'Enter':
      case 'Tab':
        return items.length > 0 ? choose(selected) : false
      case 'Escape':
        dismissed = true
        close()
        return true
      default:
        return false
    }
  }

  return {
    onTrigger,
    onTriggerKey,
    destroy () { if (timer) clearTimeout(timer); request++; list.remove() }
  }
}
