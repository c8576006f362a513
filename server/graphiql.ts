/**
 * GraphiQL from our own bundle. yoga's default page loads GraphiQL's scripts, styles and Monaco's web
 * workers from unpkg.com; `@graphql-yoga/render-graphiql` ships the same build as strings, which are
 * served here as files under `/graphiql/` so that the page works offline and under a CSP that allows
 * scripts, workers and connections to this origin only (no inline script: the options travel in a JSON
 * block that `/graphiql/init.js` reads).
 */
import type { GraphiQLOptions, Plugin } from 'graphql-yoga';
import type { Context } from './builder.js';
import { GRAPHIQL_CSP } from './security-headers.js';

export const GRAPHIQL_ASSET_PREFIX = '/graphiql/';

interface Asset {
  body: Uint8Array<ArrayBuffer>;
  type: string;
}

/** The initialiser: Monaco's workers from our paths, then GraphiQL with the page's options. */
const INIT_JS = `'use strict';
(function () {
  var workers = {
    editorWorkerService: '${GRAPHIQL_ASSET_PREFIX}editor.worker.js',
    json: '${GRAPHIQL_ASSET_PREFIX}json.worker.js',
    graphql: '${GRAPHIQL_ASSET_PREFIX}graphql.worker.js',
  };
  self.MonacoEnvironment = {
    globalAPI: false,
    getWorkerUrl: function (_moduleId, label) {
      return workers[label] || workers.editorWorkerService;
    },
  };
  var options = JSON.parse(document.getElementById('graphiql-options').textContent || '{}');
  YogaGraphiQL.renderYogaGraphiQL(document.getElementById('root'), options);
})();
`;

let assets: Promise<Map<string, Asset>> | undefined;

/** Loads the bundle once, on the first GraphiQL request (it is ~9 MB of text). */
function loadAssets(): Promise<Map<string, Asset>> {
  assets ??= import('@graphql-yoga/render-graphiql/graphiql').then((bundle) => {
    const js = 'text/javascript; charset=utf-8';
    const utf8 = (text: string): Uint8Array<ArrayBuffer> => new TextEncoder().encode(text);
    const favicon = /^data:([^;,]+);base64,(.*)$/.exec(bundle.favicon);
    const map = new Map<string, Asset>([
      ['graphiql.js', { body: utf8(bundle.js), type: js }],
      ['graphiql.css', { body: utf8(bundle.css), type: 'text/css; charset=utf-8' }],
      ['editor.worker.js', { body: utf8(bundle.editorWorkerService), type: js }],
      ['json.worker.js', { body: utf8(bundle.jsonWorker), type: js }],
      ['graphql.worker.js', { body: utf8(bundle.graphqlWorker), type: js }],
      ['init.js', { body: utf8(INIT_JS), type: js }],
    ]);
    if (favicon) map.set('favicon.ico', { body: Uint8Array.from(Buffer.from(favicon[2]!, 'base64')), type: favicon[1]! });
    return map;
  });
  return assets;
}

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The GraphiQL page: our assets only; the options as inert JSON (`<` escaped so it cannot end the block). */
export function renderLocalGraphiQL(options: GraphiQLOptions): string {
  const json = JSON.stringify(options ?? {}).replace(/</g, '\\u003c');
  const title = escapeHtml(options?.title ?? 'GraphiQL');
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>${title}</title>
    <link rel="icon" href="${GRAPHIQL_ASSET_PREFIX}favicon.ico" />
    <link rel="stylesheet" href="${GRAPHIQL_ASSET_PREFIX}graphiql.css" />
  </head>
  <body id="body" class="no-focus-outline">
    <noscript>GraphiQL needs JavaScript.</noscript>
    <div id="root"></div>
    <script type="application/json" id="graphiql-options">${json}</script>
    <script src="${GRAPHIQL_ASSET_PREFIX}graphiql.js"></script>
    <script src="${GRAPHIQL_ASSET_PREFIX}init.js"></script>
  </body>
</html>
`;
}

/** Serves `/graphiql/*` (GET/HEAD); long-cached, since the files change only with the package version. */
export function useGraphiQLAssets(): Plugin<Context> {
  return {
    onRequest({ request, url, endResponse, fetchAPI }) {
      if (!url.pathname.startsWith(GRAPHIQL_ASSET_PREFIX) || (request.method !== 'GET' && request.method !== 'HEAD')) return;
      return loadAssets().then((files) => {
        const file = files.get(url.pathname.slice(GRAPHIQL_ASSET_PREFIX.length));
        if (!file) {
          endResponse(new fetchAPI.Response('Not found', { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' } }));
          return;
        }
        endResponse(
          new fetchAPI.Response(request.method === 'HEAD' ? null : file.body, {
            status: 200,
            headers: {
              'content-type': file.type,
              'content-length': String(file.body.byteLength),
              'cache-control': 'public, max-age=86400',
              'content-security-policy': GRAPHIQL_CSP,
            },
          }),
        );
      });
    },
  };
}
