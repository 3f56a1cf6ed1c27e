import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';

const changed = 'jobmesh:navigate';

/** Goes to `path` inside the console without reloading the page. */
export function navigate(path: string, replace = false): void {
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  window.dispatchEvent(new Event(changed));
  if (!replace) window.scrollTo(0, 0);
}

/** The current path and query, updated on navigation and on the browser's back and forward. */
export function useLocation(): { path: string; query: URLSearchParams } {
  const read = () => ({ path: location.pathname, query: new URLSearchParams(location.search) });
  const [where, setWhere] = useState(read);
  useEffect(() => {
    const update = () => setWhere(read());
    window.addEventListener('popstate', update);
    window.addEventListener(changed, update);
    return () => (window.removeEventListener('popstate', update), window.removeEventListener(changed, update));
  }, []);
  return where;
}

/** A link that navigates inside the console (a modified click still opens a new tab). */
export function Link(props: { href: string; class?: string; children: ComponentChildren; 'aria-current'?: 'page' | undefined; tabIndex?: number }) {
  return (
    <a
      {...props}
      onClick={(event) => {
        if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
        event.preventDefault();
        navigate(props.href);
      }}
    >
      {props.children}
    </a>
  );
}
