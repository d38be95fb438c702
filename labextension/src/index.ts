/**
 * The JetLag lab extension's plugins: the side panel with its commands, and the inline
 * trace renderer. This module only wires widgets to JupyterLab; the widgets live in their
 * own files and all REST calls go through requestAPI.ts.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, MainAreaWidget, WidgetTracker } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { Kernel } from '@jupyterlab/services';
import { jetlagIcon } from './jetlagIcon';
import { traceRendererFactory } from './mimeRenderer';
import { JetLagSidebar } from './sidebar';
import { TraceView } from './traceview';

/** Command ids (other parts and tests call these). */
export namespace CommandIDs {
  export const openTrace = 'jetlag:open-trace';
  export const compareTraces = 'jetlag:compare-traces';
  export const showPanel = 'jetlag:show-panel';
}

/** The query parameter `jetlag view` opens JupyterLab with. */
const TRACE_QUERY = 'jetlag-trace';

const panelPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jetlag:panel',
  description: 'The JetLag side panel: machines, jobs and traces.',
  autoStart: true,
  optional: [INotebookTracker, ICommandPalette, ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd,
    notebooks: INotebookTracker | null,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null
  ) => {
    const { commands, shell } = app;
    const tracker = new WidgetTracker<MainAreaWidget<TraceView>>({ namespace: 'jetlag-trace' });

    const currentKernel = (): Kernel.IKernelConnection | null =>
      notebooks?.currentWidget?.sessionContext.session?.kernel ?? null;

    const sidebar = new JetLagSidebar(commands, currentKernel);
    shell.add(sidebar, 'left', { rank: 600 });
    restorer?.add(sidebar, sidebar.id);

    // Without a label the view names itself (and its tab) from the trace's metadata.
    const openView = (traceId: string, label: string | undefined, compareWith?: string) => {
      const key = compareWith ? `${traceId}~${compareWith}` : traceId;
      const existing = tracker.find(w => w.id === `jetlag-trace-${key}`);
      if (existing) {
        shell.activateById(existing.id);
        return existing;
      }
      const content = new TraceView({ traceId, label, compareWith });
      const widget = new MainAreaWidget({ content });
      widget.id = `jetlag-trace-${key}`;
      const shown = label ?? traceId;
      widget.title.label = compareWith ? `${shown} vs ${compareWith}` : shown;
      widget.title.caption = compareWith ? `${traceId} vs ${compareWith}` : traceId;
      widget.title.icon = jetlagIcon;
      widget.title.closable = true;
      void tracker.add(widget);
      shell.add(widget, 'main');
      shell.activateById(widget.id);
      return widget;
    };

    commands.addCommand(CommandIDs.openTrace, {
      label: 'Open a JetLag trace',
      describedBy: {
        args: {
          type: 'object',
          properties: { traceId: { type: 'string' }, label: { type: 'string' } },
          required: ['traceId']
        }
      },
      execute: args => {
        const traceId = String(args['traceId'] ?? '');
        if (!traceId) {
          throw new Error('jetlag:open-trace needs a traceId');
        }
        return openView(traceId, args['label'] ? String(args['label']) : undefined);
      }
    });

    commands.addCommand(CommandIDs.compareTraces, {
      label: 'Compare two JetLag traces',
      describedBy: {
        args: {
          type: 'object',
          properties: { a: { type: 'string' }, b: { type: 'string' } },
          required: ['a', 'b']
        }
      },
      execute: args => {
        const a = String(args['a'] ?? '');
        const b = String(args['b'] ?? '');
        if (!a || !b) {
          throw new Error('jetlag:compare-traces needs two trace ids, a and b');
        }
        return openView(a, String(args['label'] ?? a), b);
      }
    });

    commands.addCommand(CommandIDs.showPanel, {
      label: 'Show the JetLag panel',
      execute: () => shell.activateById(sidebar.id)
    });
    palette?.addItem({ command: CommandIDs.showPanel, category: 'JetLag' });

    void app.restored.then(() => {
      const traceId = new URLSearchParams(window.location.search).get(TRACE_QUERY);
      if (traceId) {
        shell.activateById(sidebar.id);
        void commands.execute(CommandIDs.openTrace, { traceId });
      }
    });
  }
};

const rendererPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jetlag:trace-renderer',
  description: 'Renders a cell’s JetLag trace summary (application/vnd.jetlag.trace+json).',
  autoStart: true,
  requires: [IRenderMimeRegistry],
  activate: (app: JupyterFrontEnd, rendermime: IRenderMimeRegistry) => {
    rendermime.addFactory(traceRendererFactory(app.commands));
  }
};

export default [panelPlugin, rendererPlugin];
