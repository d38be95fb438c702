/**
 * The dialog that submits a function of the current notebook as a job.
 *
 * The user picks the machine, one of the notebook's compiled functions and, for each of its
 * parameters, a variable of the kernel's namespace (or a literal); the kernel packages the
 * call (kernelProbe.ts) and this module posts it to POST /jetlag/api/jobs. Errors come back
 * as the server or the kernel words them.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { Kernel } from '@jupyterlab/services';
import { UUID } from '@lumino/coreutils';
import { Widget } from '@lumino/widgets';
import { Job, Machine } from './apiTypes';
import { el } from './dom';
import { NotebookNamespace, packageCall } from './kernelProbe';
import { sendJSON } from './requestAPI';

/** What the user chose in the dialog. */
export interface JobChoice {
  machine: string;
  functionName: string;
  args: string[];
  threads: string;
  trace: string;
  label: string;
}

let dialogCount = 0;

/** The dialog's body: the form. */
export class JobSubmitForm extends Widget {
  private readonly machine: HTMLSelectElement;
  private readonly fn: HTMLSelectElement;
  private readonly params: HTMLDivElement;
  private readonly threads: HTMLInputElement;
  private readonly trace: HTMLSelectElement;
  private readonly label: HTMLInputElement;
  private readonly formId = ++dialogCount;

  constructor(
    machines: Machine[],
    private readonly namespace: NotebookNamespace
  ) {
    super();
    this.addClass('jp-JetLag-submitForm');
    this.machine = el('select', { name: 'machine', 'aria-label': 'Machine' });
    for (const m of machines) {
      this.machine.append(el('option', { value: m.id, disabled: !m.available }, m.id));
    }
    this.fn = el('select', { name: 'function', 'aria-label': 'Function' });
    for (const f of namespace.functions) {
      this.fn.append(el('option', { value: f.name }, `${f.name}(${f.params.join(', ')})`));
    }
    this.params = el('div', { className: 'jp-JetLag-params' });
    const datalist = el('datalist', { id: `jp-JetLag-variables-${this.formId}` });
    for (const v of namespace.variables) {
      datalist.append(el('option', { value: v.name }, `${v.name}: ${v.type}`));
    }
    this.threads = el('input', {
      name: 'threads',
      type: 'number',
      placeholder: 'machine default',
      'aria-label': 'Threads'
    });
    this.trace = el('select', { name: 'trace', 'aria-label': 'Trace' });
    for (const mode of ['events', 'profile', 'off']) {
      this.trace.append(el('option', { value: mode }, mode));
    }
    this.label = el('input', { name: 'label', type: 'text', 'aria-label': 'Label' });
    this.fn.addEventListener('change', () => this.renderParams());
    this.node.append(
      this.row('Machine', this.machine),
      this.row('Function', this.fn),
      this.params,
      this.row('Threads', this.threads),
      this.row('Trace', this.trace),
      this.row('Label', this.label),
      datalist
    );
    this.renderParams();
  }

  private row(text: string, input: HTMLElement): HTMLLabelElement {
    return el('label', { className: 'jp-JetLag-formRow' }, el('span', {}, text), input);
  }

  private renderParams(): void {
    const f = this.namespace.functions.find(x => x.name === this.fn.value);
    const names = new Set(this.namespace.variables.map(v => v.name));
    this.params.replaceChildren(
      ...(f?.params ?? []).map(p => {
        const input = el('input', {
          name: `arg-${p}`,
          'data-param': p,
          type: 'text',
          list: `jp-JetLag-variables-${this.formId}`,
          value: names.has(p) ? p : '',
          placeholder: 'variable name or literal',
          'aria-label': `Argument ${p}`
        });
        return this.row(p, input);
      })
    );
  }

  getValue(): JobChoice {
    const args = Array.from(this.params.querySelectorAll('input')).map(i => i.value.trim());
    return {
      machine: this.machine.value,
      functionName: this.fn.value,
      args,
      threads: this.threads.value.trim(),
      trace: this.trace.value,
      label: this.label.value.trim()
    };
  }
}

/** Why an argument cannot be sent, or null when it can. */
function argumentProblem(value: string, namespace: NotebookNamespace): string | null {
  if (!value) {
    return 'is empty: name a variable of the notebook or give a literal';
  }
  if (namespace.variables.some(v => v.name === value)) {
    return null;
  }
  if (/^[A-Za-z_]\w*$/.test(value) && !['True', 'False', 'None'].includes(value)) {
    return `'${value}' is not a variable of the notebook (run the cell that defines it)`;
  }
  return null; // a literal: the kernel parses it (ast.literal_eval) or says why not
}

/**
 * Shows the dialog and submits. Resolves to the new job, or null when cancelled; rejects
 * with the kernel's or the server's error.
 */
export async function submitJobDialog(
  kernel: Kernel.IKernelConnection,
  machines: Machine[],
  namespace: NotebookNamespace
): Promise<Job | null> {
  const form = new JobSubmitForm(machines, namespace);
  const result = await showDialog<JobChoice>({
    title: 'Submit a job',
    body: form,
    buttons: [Dialog.cancelButton(), Dialog.okButton({ label: 'Submit' })],
    focusNodeSelector: 'select[name="function"]'
  });
  if (!result.button.accept || !result.value) {
    return null;
  }
  const choice = result.value;
  const params = namespace.functions.find(f => f.name === choice.functionName)?.params ?? [];
  choice.args.forEach((value, i) => {
    const problem = argumentProblem(value, namespace);
    if (problem) {
      throw new Error(`argument ${params[i] ?? i} of ${choice.functionName} ${problem}`);
    }
  });
  const pkg = await packageCall(kernel, choice.functionName, choice.args);
  const options: Record<string, unknown> = { trace: choice.trace };
  if (choice.threads !== '') {
    const threads = Number(choice.threads);
    options.threads = Number.isInteger(threads) ? threads : choice.threads;
  }
  if (choice.label) {
    options.label = choice.label;
  }
  return sendJSON<Job>('jobs', 'POST', {
    source: pkg.source,
    entry: pkg.entry,
    machine: choice.machine,
    options,
    args_npz: pkg.args_npz,
    idempotency_key: UUID.uuid4()
  });
}
