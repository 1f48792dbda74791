// Package workflow is nodeplug's n8n workflow engine core: it parses n8n
// workflow export JSON, plans a run against a Registry of node executors,
// resolves the simple n8n expressions nodeplug supports so far, and runs the
// workflow.
//
// The package knows nothing about plugins or gRPC: every node type is reached
// through the Executor interface, and the host decides which node types exist
// by the Registry it passes to Plan. The two built-in node types
// (n8n-nodes-base.manualTrigger and n8n-nodes-base.noOp) are provided by
// Builtins for the host to compose into its registry.
//
// # Execution order
//
// Run follows n8n's "v1" execution order, fixed when the workflow is planned:
//
//   - Only the start node and the nodes reachable from it along "main"
//     connections take part; ai_* connections (tools, language models) are
//     not followed. Sticky notes are ignored everywhere.
//   - After a node, its children (over all of its outputs) are taken in
//     canvas order, top-left first (by y, then x, then name), and each branch
//     is completed before the next one starts (depth first), as n8n v1 does.
//   - A node with several parents waits until all of its reachable parents
//     have been processed; it then runs once with the items of all parents
//     concatenated in the order the parents ran. Input indexes of
//     connections are not distinguished yet (there is no multi-input node
//     such as Merge yet).
//   - Loops (a cycle among the reachable nodes) are refused by Plan.
//   - A node whose inputs carry no item is not run (n8n's default). A node
//     with alwaysOutputData that ran and produced no item outputs one empty
//     item, so its children do run.
//   - Disabled nodes are not run: like n8n, they pass their input items
//     through to their first output unchanged, and they do not appear in the
//     run's history.
//
// pinData is parsed and exposed but not used by Run.
package workflow
