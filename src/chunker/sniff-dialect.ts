import type { Delimiter } from '../domain/index.js';
import { CR, DELIMITER_CANDIDATES, LF, SNIFF_MAX_RECORDS } from './constants.js';
import { type SampleScan, scanSample } from './record-scanner.js';

/** The sniffed delimiter and where the header record ends in the sample. */
export interface SniffResult {
  delimiter: Delimiter;
  lineEnding: '\n' | '\r\n';
  /** Offset just past the header record in the sample; -1 when the sample ends inside it (read more). */
  headerEnd: number;
  /** The header runs to the end of input inside a quoted field. */
  headerUnclosed: boolean;
  /** Fields of the header record (of its part in the sample while headerEnd is -1): its column count. */
  headerFields: number;
}

interface Candidate {
  delimiter: Delimiter;
  scan: SampleScan;
  /** Most frequent fields-per-record (the larger on a tie). */
  fields: number;
  /** Share of records with exactly `fields` fields: 1 means every record agrees. */
  consistency: number;
}

/**
 * Chooses the delimiter whose field count is the most consistent over the complete records of the sample
 * (quote-aware, see record-scanner.ts), among candidates that split records into more than one field;
 * ties go to more fields, then to the order `,` `;` TAB `|`. When no candidate splits anything, the file
 * is one column and the delimiter is `,`. Counting characters in the first line would be fooled by
 * delimiters inside quoted names, so whole records decide.
 * @param start offset of the header record (after leading blank lines)
 * @param atEnd the sample is the whole input
 */
export function sniffDialect(sample: Buffer, start: number, atEnd: boolean): SniffResult {
  let best: Candidate | undefined;
  let comma: SampleScan | undefined;
  for (const delimiter of DELIMITER_CANDIDATES) {
    const scan = scanSample(sample, start, delimiter.charCodeAt(0), atEnd, SNIFF_MAX_RECORDS);
    if (delimiter === ',') comma = scan;
    const candidate = rate(delimiter, scan);
    if (candidate && candidate.fields > 1 && isBetter(candidate, best)) best = candidate;
  }
  const delimiter = best?.delimiter ?? ',';
  const scan = best?.scan ?? comma!;
  const headerEnd = scan.firstRecordEnd;
  const lineEnding =
    headerEnd >= 2 && sample[headerEnd - 1] === LF && sample[headerEnd - 2] === CR ? '\r\n' : '\n';
  return {
    delimiter,
    lineEnding,
    headerEnd,
    headerUnclosed: scan.firstRecordUnclosed,
    headerFields: scan.firstRecordFields,
  };
}

function rate(delimiter: Delimiter, scan: SampleScan): Candidate | undefined {
  const counts = scan.fieldCounts;
  if (counts.length === 0) return undefined;
  const frequency = new Map<number, number>();
  let fields = 0;
  let top = 0;
  for (const count of counts) {
    const seen = (frequency.get(count) ?? 0) + 1;
    frequency.set(count, seen);
    if (seen > top || (seen === top && count > fields)) {
      top = seen;
      fields = count;
    }
  }
  return { delimiter, scan, fields, consistency: top / counts.length };
}

/** Candidates arrive in tie-break order, so an equal candidate never replaces an earlier one. */
function isBetter(candidate: Candidate, best: Candidate | undefined): boolean {
  if (!best) return true;
  if (candidate.consistency !== best.consistency) return candidate.consistency > best.consistency;
  return candidate.fields > best.fields;
}
