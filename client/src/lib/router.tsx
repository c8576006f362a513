/**
 * A very small history router: three pages do not need a routing library. Links are real `<a href>`
 * (open in a new tab works, the server answers every page path with the app); same-tab clicks are
 * handled here. After a navigation, focus goes to the new page's heading, so keyboard and screen-reader
 * users land at the start of the content.
 */
import { createSignal, splitProps, type JSX } from 'solid-js';

const [path, setPath] = createSignal(typeof location === 'undefined' ? '/' : location.pathname);

if (typeof window !== 'undefined') {
  window.addEventListener('popstate', () => setPath(location.pathname));
}

export { path };

export function navigate(to: string): void {
  if (to === location.pathname) return;
  history.pushState(null, '', to);
  setPath(to);
}

export function Link(props: JSX.AnchorHTMLAttributes<HTMLAnchorElement> & { href: string }): JSX.Element {
  const [local, rest] = splitProps(props, ['href', 'children']);
  const onClick = (event: MouseEvent): void => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(local.href);
  };
  return (
    <a href={local.href} aria-current={path() === local.href ? 'page' : undefined} onClick={onClick} {...rest}>
      {local.children}
    </a>
  );
}
