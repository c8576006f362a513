/**
 * The one urql client: HTTP for queries and mutations (urql switches to a GraphQL multipart request by
 * itself when a `File` is in the variables), graphql-ws for subscriptions and for any operation whose
 * context asks for the socket (`{ transport: 'ws' }`, used for live frames so they share the session's
 * connection). The socket is lazy: it opens with the first such operation and closes when none is left.
 */
import { cacheExchange, Client, fetchExchange, subscriptionExchange } from '@urql/core';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import { apiKey } from './gallery-session';

export const GRAPHQL_PATH = '/graphql';

export function wsUrl(base: string = location.href): string {
  const url = new URL(GRAPHQL_PATH, base);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.href;
}

export function makeWsClient(): WsClient {
  return createWsClient({
    url: wsUrl(),
    lazy: true,
    // Keep the socket a moment after the last operation, so that stop-and-start does not reconnect.
    lazyCloseTimeout: 3_000,
    // A live session belongs to one connection (the server ends it when the socket closes): a dropped
    // socket is reported to the page, which offers to start again, instead of resuming on a new one.
    retryAttempts: 0,
    // Gallery operations on the socket need the key too (the server reads connectionParams.apiKey).
    connectionParams: () => (apiKey() ? { apiKey: apiKey() } : {}),
  });
}

export function makeClient(ws: WsClient = makeWsClient()): Client {
  return new Client({
    url: GRAPHQL_PATH,
    // Mutations here are inference requests: never cached, never retried behind the user's back.
    requestPolicy: 'cache-first',
    preferGetMethod: false,
    // The gallery's API key, when one is entered (lib/gallery-session.ts); inference needs none by default.
    fetchOptions: () => (apiKey() ? { headers: { authorization: `Bearer ${apiKey()}` } } : {}),
    exchanges: [
      cacheExchange,
      subscriptionExchange({
        isSubscriptionOperation: (op) => op.kind === 'subscription' || op.context.transport === 'ws',
        forwardSubscription(request) {
          const input = { ...request, query: request.query ?? '' };
          return {
            subscribe(sink) {
              const unsubscribe = ws.subscribe(input, sink);
              return { unsubscribe };
            },
          };
        },
      }),
      fetchExchange,
    ],
  });
}
