import { getLiveDirectiveNode } from '@n1ru4l/graphql-live-query';
import { GraphQLError, Kind, visit, type ASTVisitor, type ValidationContext } from 'graphql';

/**
 * A live query's every result is whole, so it cannot use `@defer` or `@stream`, in its own
 * selections or in any fragment it spreads. (@n1ru4l/graphql-live-query's own rule also refuses
 * them in fragments no live query uses, which breaks `@defer` in named fragments of other
 * operations.)
 */
export function NoLiveWithDeferStreamRule(context: ValidationContext): ASTVisitor {
  return {
    OperationDefinition(operation) {
      if (!getLiveDirectiveNode(operation)) return false;
      for (const node of [operation, ...context.getRecursivelyReferencedFragments(operation)]) {
        visit(node, {
          Directive(directive) {
            const name = directive.name.value;
            if (name !== 'defer' && name !== 'stream') return;
            context.reportError(
              new GraphQLError(`A @live query is sent whole every time: it cannot use @${name}`, { nodes: directive }),
            );
          },
        });
      }
      return false;
    },
    [Kind.FRAGMENT_DEFINITION]: () => false,
  };
}
