/**
 * Asks a notebook's kernel, silently, for what a job needs: the compiled functions and the
 * variables of its namespace, and then the source text and `.npz` arguments of one call.
 *
 * It runs only `user_expressions` (evaluated by IPython in the notebook's namespace, nothing
 * stored in the history, no cell compiled); each answer comes back as base64 JSON. It never
 * submits anything: the panel posts the package to the REST API itself, so the server's
 * checks and its error words apply.
 */
import { Kernel, KernelMessage } from '@jupyterlab/services';

/** A function of the notebook that JetLag compiled, with its parameter names. */
export interface NotebookFunction {
  name: string;
  params: string[];
}

/** A variable of the notebook's namespace (no functions, modules or private names). */
export interface NotebookVariable {
  name: string;
  type: string;
}

/** What the notebook offers for a job. */
export interface NotebookNamespace {
  functions: NotebookFunction[];
  variables: NotebookVariable[];
}

/** A job's payload made by the kernel. */
export interface JobPackage {
  source: string;
  entry: string;
  args_npz: string;
}

/** An error the kernel raised while answering, in its own words. */
export class KernelProbeError extends Error {}

const NAMESPACE_EXPRESSION = `(lambda ns, json, b64, inspect, PF: b64(json.dumps({
 "functions": [{"name": k, "params": [p.name for p in inspect.signature(v.__physl_python_function__).parameters.values()]}
   for k, v in list(ns.items()) if not k.startswith("_") and isinstance(v, PF) and not getattr(v, "python_reason", "")],
 "variables": [{"name": k, "type": type(v).__name__ + ((" " + str(v.dtype) + str(list(v.shape))) if hasattr(v, "dtype") and hasattr(v, "shape") else "")}
   for k, v in list(ns.items()) if not k.startswith("_") and k not in ("In", "Out", "exit", "quit")
   and not callable(v) and type(v).__name__ != "module"]
}).encode()).decode())(get_ipython().user_ns, __import__("json"), __import__("base64").b64encode,
 __import__("inspect"), __import__("jetlag.runtime.api", fromlist=["PhySLFunction"]).PhySLFunction)`;

function packageExpression(functionName: string, args: string[]): string {
  // JSON text is a valid Python string literal once JSON-quoted again.
  const request = JSON.stringify(JSON.stringify({ function: functionName, args }));
  return `(lambda text, ns, json, b64, ast, sources, arguments: (lambda req: (lambda bundle: b64(json.dumps({
 "source": bundle.source, "entry": bundle.entry,
 "args_npz": b64(arguments.encode_arguments(tuple(ns[a] if a in ns else ast.literal_eval(a) for a in req["args"]), None)).decode()
}).encode()).decode())(sources.bundle_function(ns[req["function"]])))(json.loads(text)))(${request},
 get_ipython().user_ns, __import__("json"), __import__("base64").b64encode, __import__("ast"),
 __import__("jetlag.runtime.jobs.sources", fromlist=["bundle_function"]),
 __import__("jetlag.runtime.jobs.arguments", fromlist=["encode_arguments"]))`;
}

function decodeBase64Json<T>(text: string): T {
  const quoted = text.trim();
  const b64 = quoted.replace(/^['"]|['"]$/g, '');
  const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes)) as T;
}

async function evaluate<T>(kernel: Kernel.IKernelConnection, expression: string): Promise<T> {
  const future = kernel.requestExecute(
    {
      code: '',
      silent: true,
      store_history: false,
      user_expressions: { jetlag: expression },
      allow_stdin: false
    },
    true
  );
  const reply = (await future.done) as KernelMessage.IExecuteReplyMsg;
  const content = reply.content;
  if (content.status !== 'ok') {
    throw new KernelProbeError(`the kernel did not answer (${content.status})`);
  }
  const answer = (content.user_expressions as Record<string, any>)['jetlag'];
  if (!answer) {
    throw new KernelProbeError('the kernel sent no answer');
  }
  if (answer.status !== 'ok') {
    throw new KernelProbeError(`${answer.ename}: ${answer.evalue}`);
  }
  const text = answer.data?.['text/plain'];
  if (typeof text !== 'string') {
    throw new KernelProbeError('the kernel answered without text');
  }
  return decodeBase64Json<T>(text);
}

/** The compiled functions and the variables of the kernel's namespace. */
export function readNamespace(kernel: Kernel.IKernelConnection): Promise<NotebookNamespace> {
  return evaluate<NotebookNamespace>(kernel, NAMESPACE_EXPRESSION);
}

/**
 * The source text and `.npz` arguments of `functionName(*args)`; each argument is a name
 * of the notebook or a Python literal (a number, True, a string in quotes).
 */
export function packageCall(
  kernel: Kernel.IKernelConnection,
  functionName: string,
  args: string[]
): Promise<JobPackage> {
  return evaluate<JobPackage>(kernel, packageExpression(functionName, args));
}
