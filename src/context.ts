// One request owns one context: its AbortSignal, its view of the model catalog.
import type { Limits } from './config.ts';
import { RequestModels, type ModelCatalog } from './nim/catalog.ts';
import type { NimClient } from './nim/client.ts';

/** What outlives a request: shared by every context. */
export interface GatewayServices {
  nim: NimClient;
  catalog: ModelCatalog;
  limits: Limits;
}

export interface Context {
  nim: NimClient;
  catalog: ModelCatalog;
  models: RequestModels;
  limits: Limits;
  /** Aborts when the client goes away: upstream calls made for this request stop with it. */
  signal: AbortSignal;
}

export function createContext(services: GatewayServices, request: Request): Context {
  return {
    nim: services.nim,
    catalog: services.catalog,
    limits: services.limits,
    models: new RequestModels(services.catalog),
    signal: request.signal,
  };
}
