/**
 * The "JetLag" panel of the left sidebar: machines, jobs and traces, one section each.
 *
 * It only lays the sections out (a PanelLayout, as dask-labextension does); each section
 * fetches and draws itself.
 */
import { CommandRegistry } from '@lumino/commands';
import { Panel } from '@lumino/widgets';
import { jetlagIcon } from './jetlagIcon';
import { JobsSection, KernelSource } from './jobsSection';
import { MachinesSection } from './machinesSection';
import { TracesSection } from './tracesSection';

export class JetLagSidebar extends Panel {
  readonly machines: MachinesSection;
  readonly jobs: JobsSection;
  readonly traces: TracesSection;

  constructor(commands: CommandRegistry, kernelSource: KernelSource) {
    super();
    this.id = 'jetlag-sidebar';
    this.addClass('jp-JetLag-sidebar');
    this.title.icon = jetlagIcon;
    this.title.caption = 'JetLag';
    this.title.label = '';
    this.machines = new MachinesSection();
    this.jobs = new JobsSection(commands, this.machines, kernelSource);
    this.traces = new TracesSection(commands);
    this.addWidget(this.machines);
    this.addWidget(this.jobs);
    this.addWidget(this.traces);
    const heading = document.createElement('h2');
    heading.className = 'jp-JetLag-title';
    heading.textContent = 'JetLag';
    this.node.insertBefore(heading, this.node.firstChild);
  }

  protected onAfterAttach(): void {
    void this.machines.refresh();
  }
}
