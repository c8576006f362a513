/**
 * What the server says about itself (`Query.info`, `Query.health`), fetched once at start and polled
 * while the models load. Pages read the default threshold and the upload limit from here.
 */
import { createQuery } from '@urql/solid';
import { createContext, createEffect, onCleanup, useContext, type JSX } from 'solid-js';
import { graphql } from '../gql';
import type { ServiceInfoQuery } from '../gql/graphql';

export const ServiceInfoDocument = graphql(`
  query ServiceInfo {
    info {
      version
      backend
      detector
      defaultThreshold
      workers
      model {
        name
        dimensions
        inputSize
      }
      limits {
        maxUploadBytes
        maxPixels
      }
    }
    health {
      ready
      status
    }
  }
`);

export interface Service {
  data: () => ServiceInfoQuery | undefined;
  /** True once every worker has loaded its models; undefined while unknown. */
  ready: () => boolean | undefined;
  /** The server could not be reached. */
  unreachable: () => boolean;
}

const ServiceContext = createContext<Service>({ data: () => undefined, ready: () => undefined, unreachable: () => false });

export function ServiceProvider(props: { children: JSX.Element }): JSX.Element {
  const [result, refetch] = createQuery({ query: ServiceInfoDocument, requestPolicy: 'network-only' });
  // Poll every 2 s until the models are loaded (or while the server cannot be reached).
  createEffect(() => {
    if (result.fetching) return;
    if (result.data?.health.ready === true) return;
    const timer = setTimeout(() => refetch({ requestPolicy: 'network-only' }), 2000);
    onCleanup(() => clearTimeout(timer));
  });
  const service: Service = {
    data: () => result.data,
    ready: () => result.data?.health.ready,
    unreachable: () => !!result.error && !result.data,
  };
  return <ServiceContext.Provider value={service}>{props.children}</ServiceContext.Provider>;
}

export function useService(): Service {
  return useContext(ServiceContext);
}
