import { CR, LF } from './constants.js';

/**
 * Lines that end with CR alone (classic Mac OS exports, some spreadsheet tools): the sample has CRs and
 * not one LF. A file with any LF keeps LF (or CRLF) as its line ending and its lone CRs as data.
 */
export function isCrOnly(sample: Buffer): boolean {
  return sample.indexOf(LF) === -1 && sample.indexOf(CR) !== -1;
}

/**
 * Turns every CR into LF. The dialect records `\r`, and export turns LF back into CR, so the decoded
 * file comes back as it was.
 */
export async function* crToLf(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer, void, undefined> {
  for await (const bytes of source) {
    const copy = Buffer.from(bytes);
    for (let at = copy.indexOf(CR); at !== -1; at = copy.indexOf(CR, at + 1)) copy[at] = LF;
    yield copy;
  }
}
