/**
 * The Japanese deployment guide and package README stay in step with the English ones (issue 18):
 * the same headings in the same order (kept in English, as the Japanese edition of the UID2 docs
 * does, so anchors match) and the same code blocks, byte for byte, in the same order. The prose
 * between them is Japanese.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../support/shared.ts';

interface Outline {
  readonly headings: string[];
  readonly codeBlocks: string[];
  readonly prose: string;
}

/** Headings outside code fences, fenced code blocks (with their indentation), and the rest. */
function outline(markdown: string): Outline {
  const headings: string[] = [];
  const codeBlocks: string[] = [];
  const prose: string[] = [];
  let block: string[] | undefined;
  for (const line of markdown.split('\n')) {
    const fence = line.trimStart().startsWith('```');
    if (block) {
      block.push(line);
      if (fence) {
        codeBlocks.push(block.join('\n'));
        block = undefined;
      }
    } else if (fence) {
      block = [line];
    } else if (/^#{1,6} /.test(line)) {
      headings.push(line);
    } else {
      prose.push(line);
    }
  }
  assert.equal(block, undefined, 'unterminated code block');
  return { headings, codeBlocks, prose: prose.join('\n') };
}

const PAIRS: Array<[string, string]> = [
  ['docs/deployment-guide.md', 'docs/ja/deployment-guide.md'],
  ['deploy/release/README.md', 'deploy/release/README.ja.md'],
];

for (const [english, japanese] of PAIRS) {
  test(`${japanese} has the headings and code blocks of ${english}, in order`, () => {
    const en = outline(readFileSync(join(repoRoot, english), 'utf8'));
    const ja = outline(readFileSync(join(repoRoot, japanese), 'utf8'));
    assert.ok(en.headings.length >= 5 && en.codeBlocks.length >= 3, 'the English document has structure to compare');
    assert.deepEqual(ja.headings, en.headings);
    assert.equal(ja.codeBlocks.length, en.codeBlocks.length, 'number of code blocks');
    for (const [i, block] of en.codeBlocks.entries()) assert.equal(ja.codeBlocks[i], block, `code block ${i + 1}`);
  });

  test(`${japanese} is written in Japanese`, () => {
    const ja = outline(readFileSync(join(repoRoot, japanese), 'utf8'));
    const kana = ja.prose.match(/[\u3040-\u30ff]/g)?.length ?? 0;
    assert.ok(kana > ja.prose.length / 20, `${kana} kana in ${ja.prose.length} characters of prose`);
    const en = outline(readFileSync(join(repoRoot, english), 'utf8'));
    assert.equal(en.prose.match(/[\u3040-\u30ff]/g), null, `${english} has no Japanese prose`);
  });
}

test('the outline catches a changed code block and a missing heading', () => {
  const doc = '# A\n\ntext\n\n```sh\necho 1\n```\n\n## B\n';
  assert.notDeepEqual(outline(doc.replace('echo 1', 'echo 2')).codeBlocks, outline(doc).codeBlocks);
  assert.notDeepEqual(outline(doc.replace('## B\n', '')).headings, outline(doc).headings);
});
