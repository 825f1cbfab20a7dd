import { lexicographicSortSchema } from 'graphql';
import { builder } from './builder.ts';
import './errors.ts';
import './models.ts';
import './completions.ts';
import './chat.ts';
import './streaming.ts';
import './embeddings.ts';
import './ranking.ts';
import './usage.ts';

export const schema = lexicographicSortSchema(builder.toSchema());
