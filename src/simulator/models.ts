// The models the simulator serves, and how they appear on GET /v1/models.
import type { ModelCardWire } from '../nim/wire-server.ts';

export interface SimulatorModel {
  id: string;
  ownedBy?: string;
  root?: string | null;
  parent?: string | null;
  maxModelLength?: number | null;
  created?: number;
  /** A retrieval model: it serves /v1/embeddings or /v1/ranking, and no generation. */
  kind?: 'embedding' | 'ranking';
  /** An embedding model that must be told query or passage (`input_type`). */
  asymmetric?: boolean;
  /** An embedding model's full vector size. */
  dimensions?: number;
}

// The `sim/` org and lorem names make sure nobody mistakes these for real models.
export const DEFAULT_MODELS: SimulatorModel[] = [
  { id: 'sim/lorem-8b-instruct', maxModelLength: 8192 },
  { id: 'sim/lorem-70b-instruct', maxModelLength: 32768 },
  {
    id: 'sim/lorem-8b-instruct-lora-pirate',
    root: '/loras/pirate',
    parent: 'sim/lorem-8b-instruct',
    maxModelLength: null,
  },
  // Retrieval models, as NeMo Retriever NIMs are named; their window is what one input may hold.
  {
    id: 'sim/lorem-embedqa-1b',
    kind: 'embedding',
    asymmetric: true,
    dimensions: 64,
    maxModelLength: 512,
  },
  { id: 'sim/lorem-embed-1b', kind: 'embedding', dimensions: 32, maxModelLength: 512 },
  { id: 'sim/lorem-rerank-1b', kind: 'ranking', maxModelLength: 512 },
];

/** Used when a model does not say: the small default model's window. */
const DEFAULT_MAX_MODEL_LENGTH = 8192;

export function toModelCard(model: SimulatorModel, startedAt: number): ModelCardWire {
  return {
    id: model.id,
    object: 'model',
    created: model.created ?? startedAt,
    owned_by: model.ownedBy ?? 'system',
    root: model.root === undefined ? model.id : model.root,
    parent: model.parent ?? null,
    max_model_len:
      model.maxModelLength === undefined ? DEFAULT_MAX_MODEL_LENGTH : model.maxModelLength,
    permission: [],
  };
}

/** The context window that applies to a model: its own, else its parent's (LoRA adapters list null). */
export function contextWindow(
  model: SimulatorModel,
  models: readonly SimulatorModel[],
): number | null {
  if (model.maxModelLength === undefined) return DEFAULT_MAX_MODEL_LENGTH;
  if (model.maxModelLength !== null) return model.maxModelLength;
  const parent = models.find((m) => m.id === model.parent && m !== model);
  if (parent === undefined || parent.maxModelLength === null) return null;
  return parent.maxModelLength ?? DEFAULT_MAX_MODEL_LENGTH;
}

export function cloneModels(models: readonly SimulatorModel[]): SimulatorModel[] {
  return models.map((m) => ({ ...m }));
}
