import { readFile } from 'node:fs/promises';

/**
 * The text between `<!-- name:start -->` and `<!-- name:end -->` in the README; with `language`, the body of
 * the one fenced code block of that language that stands there.
 */
export async function readmeBlock(name: string, language?: string): Promise<string> {
  const readme = await readFile('README.md', 'utf8');
  const inner = language === undefined ? '([\\s\\S]*?)' : `\`\`\`${language}\\n([\\s\\S]*?)\`\`\`\\n`;
  const block = new RegExp(`<!-- ${name}:start -->\\n${inner}<!-- ${name}:end -->`).exec(readme);
  if (!block) throw new Error(`README has no ${name} block`);
  return block[1]!;
}
