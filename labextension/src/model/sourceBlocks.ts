/**
 * Which lines of a `/source` answer the source view shows: per file (section), the lines
 * its primitives sit on with a little context, numbered as in the file itself. A trace of
 * a notebook cell that called functions from other cells has one block per cell.
 */
import { SourceAnswer, SourceSection } from './selection';

/** A run of lines the view shows. */
export interface SourceBlock {
  /** The file (null for an answer without sections and without a file). */
  file: string | null;
  /** Functions defined in it (empty when unknown). */
  functions: string[];
  /** First and last line shown, as lines of the answer's `text` (1-based). */
  from: number;
  to: number;
  /** The file's own number of line `from` (what the gutter shows). */
  firstNumber: number;
}

/** The sections of `source` (one covering all of `text` when the server sent none). */
export function sectionsOf(source: SourceAnswer): SourceSection[] {
  if (source.sections && source.sections.length) {
    return source.sections;
  }
  const lines = source.text.split('\n');
  const count = lines.length && lines[lines.length - 1] === '' ? lines.length - 1 : lines.length;
  return [{ file: source.file ?? '', functions: [], offset: 0, lines: count }];
}

/**
 * The blocks to show: each section trimmed to its primitives' lines ± `context`
 * (the whole section when none of its lines has a primitive).
 */
export function sourceBlocks(source: SourceAnswer, context = 2): SourceBlock[] {
  const blocks: SourceBlock[] = [];
  for (const section of sectionsOf(source)) {
    const first = section.offset + 1;
    const last = section.offset + section.lines;
    if (last < first) {
      continue;
    }
    const used = source.primitives.map(p => p.line).filter(line => line >= first && line <= last);
    const from = used.length ? Math.max(first, Math.min(...used) - context) : first;
    const to = used.length ? Math.min(last, Math.max(...used) + context) : last;
    blocks.push({
      file: section.file || source.file,
      functions: section.functions,
      from,
      to,
      firstNumber: from - section.offset
    });
  }
  return blocks;
}
