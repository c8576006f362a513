/**
 * Who a request is: the API key it carries (HTTP `Authorization: Bearer` or `x-api-key`; graphql-ws
 * connection params `apiKey` or `authorization`), resolved once per request. And the plugin that closes
 * the inference-only operations to callers without a valid key when FACEGATE_INFERENCE_AUTH=key.
 */
import type { Plugin } from 'graphql-yoga';
import type { Context } from '../builder.js';
import { apiError, errorCode } from '../errors.js';
import { rootFields } from '../yoga.js';
import { presentedKey, type Principal } from './keys.js';

const principals = new WeakMap<object, Promise<Principal | null>>();

export function principalOf(ctx: Context): Promise<Principal | null> {
  let found = principals.get(ctx);
  if (!found) {
    const request = (ctx as { request?: { headers?: { get(name: string): string | null } } }).request;
    const headers = typeof request?.headers?.get === 'function' ? request.headers : undefined;
    const params = (ctx as { connectionParams?: unknown }).connectionParams;
    found = ctx.deps.gallery.authenticate(presentedKey(headers, params));
    principals.set(ctx, found);
  }
  return found;
}

/** Root fields that only run the models on uploads, with no gallery behind them. */
export const OPEN_INFERENCE_FIELDS: ReadonlySet<string> = new Set(['detect', 'embed', 'verify', 'startLiveSession', 'submitFrame', 'stopLiveSession', 'liveVerification']);

async function refusal(ctx: Context): Promise<Error | null> {
  try {
    const principal = await principalOf(ctx);
    return principal ? null : apiError('UNAUTHENTICATED', 'This server requires an API key for inference (FACEGATE_INFERENCE_AUTH=key)');
  } catch (error) {
    const code = errorCode(error);
    return apiError(code ?? 'UNAUTHENTICATED', (error as Error).message);
  }
}

/** FACEGATE_INFERENCE_AUTH=key: detect, embed, verify and live sessions need any valid key. */
export function useInferenceAuth(enabled: boolean): Plugin<Context> {
  const needsKey = (args: { document: Parameters<typeof rootFields>[0]; operationName?: string | null }): boolean =>
    enabled && rootFields(args.document, args.operationName).some((f) => OPEN_INFERENCE_FIELDS.has(f.name));
  return {
    async onExecute({ args, setResultAndStopExecution }) {
      if (!needsKey(args)) return;
      const error = await refusal(args.contextValue);
      if (error) setResultAndStopExecution({ errors: [error as never] });
    },
    async onSubscribe({ args, setResultAndStopExecution }) {
      if (!needsKey(args)) return;
      const error = await refusal(args.contextValue);
      if (error) setResultAndStopExecution({ errors: [error as never] });
    },
  };
}
