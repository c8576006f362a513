/**
 * Schema introspection (`__schema`, `__type`): off, or on with its own depth bound. graphql-armor's depth
 * limit skips introspection (its query nests `ofType` a dozen levels deep, past any sensible limit for
 * the API), which left introspection unbounded; here its selections are measured on their own, from the
 * `__schema`/`__type` field down, fragments included. `__typename` is not introspection and stays allowed.
 */
import type { ASTVisitor, FieldNode, FragmentDefinitionNode, SelectionSetNode, ValidationContext } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Context } from './builder.js';
import { GraphQLError, Kind } from './graphql.js';

const INTROSPECTION_FIELDS = new Set(['__schema', '__type']);

function refusal(message: string, node: FieldNode): GraphQLError {
  return new GraphQLError(message, { nodes: [node], extensions: { code: 'BAD_REQUEST', http: { status: 400 } } });
}

/** Depth of a selection set: 1 for a set of leaf fields; fragment spreads add their content, not a level. */
function depthOf(set: SelectionSetNode, fragments: ReadonlyMap<string, FragmentDefinitionNode>, visiting: Set<string>, cap: number): number {
  let max = 0;
  for (const selection of set.selections) {
    let depth = 0;
    if (selection.kind === Kind.FIELD) depth = 1 + (selection.selectionSet ? depthOf(selection.selectionSet, fragments, visiting, cap - 1) : 0);
    else if (selection.kind === Kind.INLINE_FRAGMENT) depth = depthOf(selection.selectionSet, fragments, visiting, cap);
    else {
      const name = selection.name.value;
      const fragment = fragments.get(name);
      // A cycle is refused by graphql's own NoFragmentCycles rule; here it only must not loop.
      if (fragment && !visiting.has(name)) {
        visiting.add(name);
        depth = depthOf(fragment.selectionSet, fragments, visiting, cap);
        visiting.delete(name);
      }
    }
    max = Math.max(max, depth);
    if (max > cap) return max; // deep enough to refuse: stop walking
  }
  return max;
}

function introspectionDepthRule(maxDepth: number) {
  return (context: ValidationContext): ASTVisitor => {
    const document = context.getDocument();
    const fragments = new Map(
      document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]),
    );
    return {
      Field(node) {
        if (!INTROSPECTION_FIELDS.has(node.name.value)) return;
        const depth = 1 + (node.selectionSet ? depthOf(node.selectionSet, fragments, new Set(), maxDepth) : 0);
        if (depth > maxDepth) {
          context.reportError(refusal(`Introspection query too deep: more than ${maxDepth} levels below ${node.name.value}`, node));
        }
        return false; // nested introspection fields are measured as part of this one
      },
    };
  };
}

function noIntrospectionRule(context: ValidationContext): ASTVisitor {
  return {
    Field(node) {
      if (INTROSPECTION_FIELDS.has(node.name.value)) {
        context.reportError(refusal('Introspection is disabled on this server (FACEGATE_INTROSPECTION)', node));
      }
    },
  };
}

export function useIntrospectionPolicy(options: { enabled: boolean; maxDepth: number }): Plugin<Context> {
  const rule = options.enabled ? introspectionDepthRule(options.maxDepth) : noIntrospectionRule;
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(rule);
    },
  };
}
