/**
 * Typed access to one trace's query endpoints under /jetlag/api/traces/{id}/.
 *
 * Every call goes through the extension's single `requestAPI` helper; this module only
 * builds query strings and names the JSON shapes the server answers with. It keeps no
 * state and draws nothing.
 */
import type { Guid, ProfileRow, TaskInfo } from '../model';
import { formatGuid } from '../model/format';
import { requestAPI } from '../requestAPI';

/** A time window in ns from the trace's start, cut into `bins` bins. */
export interface WindowQuery {
  /** First ns of the window. */
  begin: number;
  /** End of the window (exclusive), ns. */
  end: number;
  /** Bins (one per pixel), at most 10,000. */
  bins: number;
  /** Location names to keep (all when absent). */
  locations?: string[];
  /** Primitive instance or display name to filter by. */
  primitive?: string | null;
}

/** The window part every binned answer restates. */
export interface WindowAnswer {
  /** Window start, ns. */
  begin: number;
  /** Window end, ns. */
  end: number;
  /** Number of bins. */
  bins: number;
  /** Width of one bin, ns. */
  bin_ns: number;
  /** Location names in the answer. */
  locations: string[];
  /** The primitive filter as given, or null. */
  primitive: string | null;
  /** Instances the filter matched, or null. */
  instances: string[] | null;
}

/** `/gantt`: busy fraction and dominant primitive per location and bin. */
export interface GanttAnswer extends WindowAnswer {
  /** Instance names the answer refers to (dominant and raw intervals index into it). */
  legend: string[];
  /** Display names of `legend`, position by position. */
  legend_display_names: string[];
  /** Per location: busy fraction per bin and the legend position of the dominant one. */
  per_location: Record<string, { busy: number[]; dominant: (number | null)[] }>;
  /** How many intervals overlap the window (after the filters). */
  interval_count: number;
  /** Raw intervals come only when interval_count is at most this. */
  raw_limit: number;
  /** Field names of one raw interval row. */
  interval_fields: string[];
  /** Per location: [start, end, legend position, guid, parent guid, kind] rows, or null. */
  intervals: Record<string, RawInterval[]> | null;
  /** True when the raw intervals were left out. */
  intervals_omitted: boolean;
}

/** One raw Gantt interval: [start, end, legend position, guid, parent guid, kind]. */
export type RawInterval = [number, number, number, Guid, Guid, string];

/** `/utilization`: busy fraction per bin, total and per location. */
export interface UtilizationAnswer extends WindowAnswer {
  /** Mean busy fraction over the locations, per bin. */
  total: number[];
  /** Busy fraction per location and bin. */
  per_location: Record<string, number[]>;
}

/** One task as `/intervals` and `/intervals/{guid}` describe it (the model's TaskInfo). */
export type IntervalRecord = TaskInfo;

/** `/intervals`: one page of the tasks in a window. */
export interface IntervalsAnswer {
  /** Window start, ns. */
  begin: number;
  /** Window end, ns. */
  end: number;
  /** Every match, not just this page. */
  total: number;
  /** Offset of the next page, or null after the last. */
  next_offset: number | null;
  /** This page's tasks. */
  intervals: IntervalRecord[];
}

/** `/intervals/{guid}`: one task, its parent chain (nearest first) and children. */
export interface IntervalDetail extends IntervalRecord {
  /** Parents, nearest first. */
  ancestry: IntervalRecord[];
  /** A parent GUID with no interval in the trace, or null. */
  missing_parent: number | null;
  /** Children ordered by start (up to a limit). */
  children: IntervalRecord[];
  /** How many children there are. */
  children_total: number;
}

/** One profile row per primitive instance (the model's ProfileRow). */
export type { ProfileRow };

/** `/profile`. */
export interface ProfileAnswer {
  /** profile.json or columns. */
  origin: string;
  /** One row per instance. */
  rows: ProfileRow[];
}

/** A node of `/tree`. */
export interface TreeNode {
  /** program, call, variable, literal, ... */
  kind: string;
  /** Primitive or variable name. */
  name: string;
  /** Instance name (`name$line$col`). */
  instance: string;
  /** Source line, or null. */
  line: number | null;
  /** Source column, or null. */
  col: number | null;
  /** Child nodes. */
  children: TreeNode[];
  /** Profile joined onto the node, or null. */
  profile?: { count: number; inclusive_ns: number; exclusive_ns: number } | null;
}

/** `/tree`. */
export interface TreeAnswer {
  /** tree.json or flat. */
  origin: string;
  /** The root node. */
  tree: TreeNode;
}

/** `/source`: the compiled function's text and where each instance sits. */
export interface SourceAnswer {
  /** The source file's path, or null. */
  file: string | null;
  /** The whole text. */
  text: string;
  /** Instances with their line:col. */
  primitives: { instance: string; primitive: string; line: number; col: number }[];
}

/** `/counters`: sampled series binned to the window. */
export interface CountersAnswer {
  /** Window start, ns. */
  begin: number;
  /** Window end, ns. */
  end: number;
  /** Bins. */
  bins: number;
  /** Bin width, ns. */
  bin_ns: number;
  /** One entry per series. */
  series: { name: string; unit: string; mean: (number | null)[]; samples: number }[];
}

/** `/metadata`: meta.json plus the columns' summary. */
export interface MetadataAnswer {
  /** Stored meta.json, or null. */
  meta: Record<string, unknown> | null;
  /** Number of events. */
  events: number;
  /** [first, last] ns. */
  span_ns: [number, number];
  /** last - first. */
  duration_ns: number;
  /** Location names. */
  locations: string[];
  /** Which documents the trace has. */
  available: { tree: boolean; profile: boolean; source: boolean; otf2: boolean };
}

/** A query string from defined, non-empty values (arrays joined with commas). */
export function queryString(values: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined || value === null || value === '') {
      continue;
    }
    const text = Array.isArray(value) ? value.join(',') : String(value);
    if (text !== '') {
      parts.push(`${encodeURIComponent(name)}=${encodeURIComponent(text)}`);
    }
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

function windowParams(query: WindowQuery): Record<string, unknown> {
  return {
    begin: Math.floor(query.begin),
    end: Math.ceil(query.end),
    bins: Math.max(1, Math.min(10000, Math.round(query.bins))),
    locations: query.locations,
    primitive: query.primitive
  };
}

/** The REST calls of one trace, each returning the server's JSON. */
export class TraceApi {
  /** Calls for the trace `traceId`. */
  constructor(readonly traceId: string) {}

  private get(path: string, values: Record<string, unknown> = {}): Promise<any> {
    const id = encodeURIComponent(this.traceId);
    return requestAPI<any>(`traces/${id}${path}${queryString(values)}`);
  }

  /** The trace's summary row (label, function, duration). */
  summary(): Promise<Record<string, unknown>> {
    return this.get('');
  }

  /** Metadata and which documents exist. */
  metadata(): Promise<MetadataAnswer> {
    return this.get('/metadata');
  }

  /** Gantt bins (and raw intervals when few) for a window. */
  gantt(query: WindowQuery): Promise<GanttAnswer> {
    return this.get('/gantt', windowParams(query));
  }

  /** Utilization bins for a window. */
  utilization(query: WindowQuery): Promise<UtilizationAnswer> {
    return this.get('/utilization', windowParams(query));
  }

  /** A page of intervals overlapping [begin, end). */
  intervals(query: {
    begin?: number;
    end?: number;
    locations?: string[];
    primitive?: string | null;
    limit?: number;
    offset?: number;
  }): Promise<IntervalsAnswer> {
    return this.get('/intervals', {
      ...query,
      begin: query.begin === undefined ? undefined : Math.floor(query.begin),
      end: query.end === undefined ? undefined : Math.ceil(query.end)
    });
  }

  /** One task with its ancestry and children. */
  interval(guid: Guid): Promise<IntervalDetail> {
    return this.get(`/intervals/${formatGuid(guid)}`);
  }

  /** The execution tree with the profile joined. */
  tree(): Promise<TreeAnswer> {
    return this.get('/tree');
  }

  /** The per-instance profile. */
  profile(): Promise<ProfileAnswer> {
    return this.get('/profile');
  }

  /** The compiled function's source and instance positions. */
  source(): Promise<SourceAnswer> {
    return this.get('/source');
  }

  /** Counter series binned to a window. */
  counters(query: { begin: number; end: number; bins: number }): Promise<CountersAnswer> {
    return this.get('/counters', windowParams(query));
  }

  /** A Vega-Lite spec (with its data) for one of the server-built charts. */
  chart(name: string, values: Record<string, unknown>): Promise<Record<string, unknown>> {
    return this.get(`/charts/${name}`, values);
  }
}

/** `/compare?a=&b=`: per-primitive differences between two traces. */
export function fetchComparison(a: string, b: string): Promise<any> {
  return requestAPI<any>(`compare${queryString({ a, b })}`);
}

/** `/compare/chart?a=&b=`: the comparison as a Vega-Lite spec. */
export function fetchComparisonChart(a: string, b: string): Promise<Record<string, unknown>> {
  return requestAPI<any>(`compare/chart${queryString({ a, b })}`);
}

/** The words of a failed request (the server's `error` text when it sent one). */
export function errorText(reason: unknown): string {
  if (reason instanceof Error) {
    return reason.message;
  }
  return String(reason);
}
