// The renderer shows no sentence that is not in the catalogues: JSX text and
// labelling attributes are never literals (issue 6: all strings localized, no
// concatenation). Lives here because it reads files (the renderer tests run
// under the DOM tsconfig without Node).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..', 'renderer');
const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) =>
  f.endsWith('.tsx'),
);

describe('renderer text', () => {
  it.each(files)('%s has no literal user-visible text', (file) => {
    const source = readFileSync(join(root, file), 'utf8');
    const texts = [...source.matchAll(/<[A-Za-z/][^<>]*>([^<>{}]*)</g)]
      .map((m) => m[1]!.trim())
      // Code between a TS generic and the next tag is not JSX text.
      .filter((t) => /[A-Za-zÀ-ÿ]/.test(t) && !/[;=()]/.test(t));
    expect(texts).toEqual([]);
    expect(source).not.toMatch(/(aria-label|title|placeholder|alt)="[A-Za-z]/);
  });
});
