// One operation through Yoga from its parameters on: the onParams hooks (trusted documents), envelop
// with every plugin (limits, cost, rate limits, introspection off, masking), the onExecutionResult
// hooks. Every way in that does not go through Yoga's own handler runs its operations here, so no
// protection that lives on those hooks can be missed.
import { GraphQLError } from 'graphql';
import { maskError, type processRegularResult, type YogaServerInstance } from 'graphql-yoga';
import type { Context } from '../context.ts';

export type GatewayYoga = YogaServerInstance<Record<string, never>, Context>;
export type OperationParams = Parameters<GatewayYoga['getResultForParams']>[0]['params'];
export type ServerContext = Parameters<GatewayYoga['getResultForParams']>[1];
/** One result, several (a batch) or a stream of them, as Yoga's result processors take it. */
export type OperationResult = Parameters<typeof processRegularResult>[0];

export async function runOperation(
  yoga: GatewayYoga,
  params: OperationParams,
  request: Request,
  serverContext: ServerContext,
): Promise<OperationResult> {
  try {
    const result = await yoga.getResultForParams({ params, request }, serverContext);
    if (result === undefined) throw new Error('Yoga returned no result.');
    return result;
  } catch (error) {
    // As Yoga's own handler answers an error thrown outside execution (a document that does not parse).
    const masked = maskError(error, 'Unexpected error.', false);
    if (masked !== error) yoga.logger.error(error);
    return {
      errors: [
        masked instanceof GraphQLError
          ? masked
          : new GraphQLError(masked.message, { originalError: masked }),
      ],
    };
  }
}
