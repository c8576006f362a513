/** The shell: header with the pages, the current page, and a footer saying what the server runs. */
import { Provider } from '@urql/solid';
import { createEffect, Match, on, Show, Switch, type JSX } from 'solid-js';
import { makeClient } from './lib/client';
import { fixed } from './lib/format';
import { Link, path } from './lib/router';
import { ServiceProvider, useService } from './lib/service';
import DetectPage from './pages/Detect';
import GalleryPage from './pages/Gallery';
import IdentifyPage from './pages/Identify';
import LivePage from './pages/Live';
import VerifyPage from './pages/Verify';

const PAGES = [
  { href: '/', title: 'Verify' },
  { href: '/detect', title: 'Detect' },
  { href: '/live', title: 'Live' },
  { href: '/gallery', title: 'Gallery' },
  { href: '/identify', title: 'Identify' },
] as const;

function ServerBanner(): JSX.Element {
  const service = useService();
  return (
    <Show when={service.unreachable() || service.ready() === false}>
      <p class="banner" role="status" data-testid="server-banner">
        {service.unreachable()
          ? 'Cannot reach the facegate server. Retrying…'
          : 'The server is still loading its face models. Requests will work in a moment.'}
      </p>
    </Show>
  );
}

function Footer(): JSX.Element {
  const service = useService();
  return (
    <footer class="site-footer">
      <Show when={service.data()} fallback={<span>facegate</span>}>
        {(d) => (
          <span>
            facegate {d().info.version} · detector {d().info.detector} · model {d().info.model?.name ?? 'loading'}
            {d().info.model ? ` (${d().info.model!.dimensions}-d)` : ''} · backend {d().info.backend ?? 'loading'} · default threshold{' '}
            {fixed(d().info.defaultThreshold, 2)} · {d().info.workers} {d().info.workers === 1 ? 'worker' : 'workers'}
          </span>
        )}
      </Show>
      <span>
        API: <a href="/graphql">/graphql</a>
      </span>
    </footer>
  );
}

export default function App(): JSX.Element {
  const client = makeClient();
  let main!: HTMLElement;
  // After a client-side navigation, move focus to the new page's heading (not on first load).
  createEffect(
    on(
      path,
      () => {
        queueMicrotask(() => main.querySelector<HTMLElement>('h1')?.focus());
        const page = PAGES.find((p) => p.href === path());
        document.title = page && page.href !== '/' ? `${page.title} · facegate` : 'facegate';
      },
      { defer: true },
    ),
  );
  return (
    <Provider value={client}>
      <ServiceProvider>
        <a class="skip-link" href="#main">
          Skip to content
        </a>
        <header class="site-header">
          <span class="brand">
            <span class="brand-mark" aria-hidden="true" />
            facegate
          </span>
          <nav aria-label="Pages">
            <ul>
              {PAGES.map((p) => (
                <li>
                  <Link href={p.href}>{p.title}</Link>
                </li>
              ))}
            </ul>
          </nav>
        </header>
        <ServerBanner />
        <main id="main" ref={main}>
          <Switch fallback={<NotFound />}>
            <Match when={path() === '/' || path() === '/verify'}>
              <VerifyPage />
            </Match>
            <Match when={path() === '/detect'}>
              <DetectPage />
            </Match>
            <Match when={path() === '/live'}>
              <LivePage />
            </Match>
            <Match when={path() === '/gallery'}>
              <GalleryPage />
            </Match>
            <Match when={path() === '/identify'}>
              <IdentifyPage />
            </Match>
          </Switch>
        </main>
        <Footer />
      </ServiceProvider>
    </Provider>
  );
}

function NotFound(): JSX.Element {
  return (
    <>
      <h1 tabIndex={-1}>Page not found</h1>
      <p>
        There is nothing at {path()}. Try <Link href="/">Verify</Link>.
      </p>
    </>
  );
}
