import { useDeferStream } from '@graphql-yoga/plugin-defer-stream';
import {
  GraphQLError,
  Kind,
  OperationTypeNode,
  type ASTVisitor,
  type DirectiveNode,
  type FragmentDefinitionNode,
  type ValidationContext,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';

/**
 * `@defer` and `@stream` on queries and mutations: the plugin adds the directives and their
 * validation rules, and yoga's executor sends the parts (multipart/mixed, SSE, one graphql-ws
 * `next` message each). The parts run in the operation's one context, so they share its loaders
 * and every upstream call they make passes its per-app check; the limits read the whole document
 * before anything runs, deferred fragments included.
 */
export function deferAndStreamPlugins(): Plugin[] {
  return [
    useDeferStream() as Plugin,
    {
      onValidate({ addValidationRule }) {
        addValidationRule(NoDeferStreamInSubscriptionsRule);
      },
    },
  ];
}

/**
 * The plugin refuses the directives on a subscription's root field only. Deeper in a
 * subscription, every event ended as parts of its own, the last with `hasNext: false` while the
 * subscription goes on, and a shared stream (shared-subscriptions.ts) hands a late subscriber an
 * event's first part alone. graphql-js 17 refuses them in subscriptions, with these messages.
 */
export function NoDeferStreamInSubscriptionsRule(context: ValidationContext): ASTVisitor {
  const inSubscriptions = new Set<FragmentDefinitionNode>();
  return {
    Document(document) {
      for (const definition of document.definitions) {
        if (definition.kind !== Kind.OPERATION_DEFINITION || definition.operation !== OperationTypeNode.SUBSCRIPTION) continue;
        for (const fragment of context.getRecursivelyReferencedFragments(definition)) inSubscriptions.add(fragment);
      }
    },
    Directive(node, _key, _parent, _path, ancestors) {
      const name = node.name.value;
      if ((name !== 'defer' && name !== 'stream') || isOff(node)) return;
      // ancestors: the document, its definitions, then the definition this directive is in.
      const definition = ancestors[2];
      if (!definition || !('kind' in definition)) return;
      const subscription =
        (definition.kind === Kind.OPERATION_DEFINITION && definition.operation === OperationTypeNode.SUBSCRIPTION) ||
        (definition.kind === Kind.FRAGMENT_DEFINITION && inSubscriptions.has(definition));
      if (!subscription) return;
      const directive = name === 'defer' ? 'Defer' : 'Stream';
      context.reportError(
        new GraphQLError(
          `${directive} directive not supported on subscription operations. Disable \`@${name}\` by setting the \`if\` argument to \`false\`.`,
          { nodes: node },
        ),
      );
    },
  };
}

/** Only a literal `if: false` is certain to be off; a variable may turn it on. */
function isOff(node: DirectiveNode) {
  const condition = node.arguments?.find((a) => a.name.value === 'if')?.value;
  return condition?.kind === Kind.BOOLEAN && !condition.value;
}
