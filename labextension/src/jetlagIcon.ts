/**
 * The JetLag icon (a jet trail over a task timeline), themed with JupyterLab's icon colours.
 */
import { LabIcon } from '@jupyterlab/ui-components';

const SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <rect x="2" y="15" width="6" height="3" rx="1"/>
    <rect x="10" y="15" width="12" height="3" rx="1"/>
    <rect x="2" y="19.5" width="11" height="3" rx="1"/>
    <rect x="15" y="19.5" width="7" height="3" rx="1"/>
    <path d="M3 11 L13 9 L19 3 L21 4 L17 10 L22 11 L21 12.5 L16 12 L13 13 Z"/>
  </g>
</svg>`;

export const jetlagIcon = new LabIcon({ name: 'jetlag:icon', svgstr: SVG });
