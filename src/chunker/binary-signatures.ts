/**
 * Magic numbers of binary formats people upload by mistake instead of a CSV (from the formats' own
 * specifications, as collected by libmagic and the `file-type` package). Matching one fails the upload at
 * once instead of parsing megabytes of noise. Gzip is absent on purpose: the chunker decompresses it.
 */
interface BinarySignature {
  readonly name: string;
  readonly offset: number;
  readonly bytes: readonly number[];
}

const ascii = (text: string): number[] => [...text].map((c) => c.charCodeAt(0));

const SIGNATURES: readonly BinarySignature[] = [
  { name: 'PNG image', offset: 0, bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
  { name: 'JPEG image', offset: 0, bytes: [0xff, 0xd8, 0xff] },
  { name: 'GIF image', offset: 0, bytes: ascii('GIF87a') },
  { name: 'GIF image', offset: 0, bytes: ascii('GIF89a') },
  { name: 'TIFF image', offset: 0, bytes: [0x49, 0x49, 0x2a, 0x00] },
  { name: 'TIFF image', offset: 0, bytes: [0x4d, 0x4d, 0x00, 0x2a] },
  { name: 'WebP image', offset: 8, bytes: ascii('WEBP') },
  { name: 'PDF document', offset: 0, bytes: ascii('%PDF-') },
  // ZIP local file header, empty archive and spanned archive; also every .xlsx, .docx, .ods and .jar.
  { name: 'ZIP archive', offset: 0, bytes: [0x50, 0x4b, 0x03, 0x04] },
  { name: 'ZIP archive', offset: 0, bytes: [0x50, 0x4b, 0x05, 0x06] },
  { name: 'ZIP archive', offset: 0, bytes: [0x50, 0x4b, 0x07, 0x08] },
  { name: '7z archive', offset: 0, bytes: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c] },
  { name: 'RAR archive', offset: 0, bytes: [0x52, 0x61, 0x72, 0x21, 0x1a, 0x07] },
  { name: 'xz archive', offset: 0, bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00] },
  { name: 'zstd archive', offset: 0, bytes: [0x28, 0xb5, 0x2f, 0xfd] },
  // "BZh" + block size digit + the first block's magic (pi digits 0x314159265359).
  { name: 'bzip2 archive', offset: 4, bytes: [0x31, 0x41, 0x59, 0x26, 0x53, 0x59] },
  // OLE2 compound file: legacy .xls and .doc.
  {
    name: 'OLE2 document (legacy Excel/Word)',
    offset: 0,
    bytes: [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1],
  },
  { name: 'SQLite database', offset: 0, bytes: ascii('SQLite format 3\0') },
  { name: 'Parquet file', offset: 0, bytes: ascii('PAR1') },
  { name: 'ELF executable', offset: 0, bytes: [0x7f, 0x45, 0x4c, 0x46] },
  { name: 'Mach-O executable', offset: 0, bytes: [0xcf, 0xfa, 0xed, 0xfe] },
  { name: 'Mach-O executable', offset: 0, bytes: [0xce, 0xfa, 0xed, 0xfe] },
  { name: 'WebAssembly module', offset: 0, bytes: [0x00, 0x61, 0x73, 0x6d] },
  { name: 'MP4/QuickTime media', offset: 4, bytes: ascii('ftyp') },
];

/** The name of the binary format `sample` starts with, or undefined when it matches none. */
export function matchBinarySignature(sample: Buffer): string | undefined {
  for (const signature of SIGNATURES) {
    const { offset, bytes } = signature;
    if (sample.length < offset + bytes.length) continue;
    let matches = true;
    for (let i = 0; i < bytes.length; i++) {
      if (sample[offset + i] !== bytes[i]) {
        matches = false;
        break;
      }
    }
    if (matches) return signature.name;
  }
  return undefined;
}
