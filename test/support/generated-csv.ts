import { once } from 'node:events';
import { createWriteStream } from 'node:fs';

/**
 * Writes a deterministic CSV of about `bytes` bytes (header plus rows of an id, a name, a number and a
 * date), without holding it in memory. Different `seed`s give different bytes (and SHA-256s).
 */
export async function writeGeneratedCsv(path: string, bytes: number, seed = 1): Promise<number> {
  const out = createWriteStream(path);
  let written = 0;
  const put = async (text: string) => {
    written += Buffer.byteLength(text);
    if (!out.write(text)) await once(out, 'drain');
  };
  await put('id,name,amount,day\n');
  let batch = '';
  for (let i = 1; written + batch.length < bytes; i++) {
    batch += `${i},name-${(i * 7919 + seed) % 100_003},${((i * seed) % 10_000) / 100},2026-${String((i % 12) + 1).padStart(2, '0')}-${String((i % 28) + 1).padStart(2, '0')}\n`;
    if (batch.length > 256 * 1024) {
      await put(batch);
      batch = '';
    }
  }
  await put(batch);
  out.end();
  await once(out, 'finish');
  return written;
}
