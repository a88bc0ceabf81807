/* DOM helpers. All user-controlled text goes in through textContent, never as HTML. */

import { context } from './context.js';

/** The element with this id inside the viewer's shadow root. */
export function $(id) {
  return context.root ? context.root.getElementById(id) : null;
}

/** Creates an element; `text` goes through textContent, attributes through setAttribute. */
export function h(tag, props, ...children) {
  const node = document.createElement(tag);
  if (props) {
    for (const [key, value] of Object.entries(props)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'text') node.textContent = String(value);
      else if (key === 'className') node.className = value;
      else node.setAttribute(key, value === true ? '' : String(value));
    }
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}
