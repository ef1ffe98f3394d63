import { describe, expect, test } from 'vitest';
import {
  collapseBlankLines,
  htmlWriter,
  type Joined,
  type PartWriter,
  textWriter,
} from '../../../src/mail/templates.ts';

/** Joins fixed pieces and values alternately, as a split template is filled. */
function join<Piece>(pieces: string[], values: unknown[], writer: PartWriter<Piece>): string {
  const out: Joined = { text: '', run: 0 };
  pieces.forEach((piece, i) => {
    writer.add(out, writer.piece(piece));
    if (i < values.length) writer.value(out, values[i]);
  });
  return out.text;
}

/** A fixed pseudo-random sequence, so a failure can be replayed. */
function sequence(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

describe('the text part joined from pieces', () => {
  test('collapses blank lines exactly as collapsing the joined text does, runs across pieces included', () => {
    const next = sequence(7);
    const alphabet = ['\n', '\n', '\n', 'a', ' ', 'b\n'];
    const text = () =>
      Array.from(
        { length: Math.floor(next() * 7) },
        () => alphabet[Math.floor(next() * alphabet.length)],
      ).join('');
    for (let round = 0; round < 2_000; round++) {
      const pieces = Array.from({ length: 1 + Math.floor(next() * 5) }, text);
      const values: unknown[] = pieces.slice(1).map((_, i) => (i % 3 === 2 ? null : text()));
      const whole = pieces.map((piece, i) => piece + (values[i] ?? '')).join('');
      expect(join(pieces, values, textWriter)).toBe(collapseBlankLines(whole));
    }
  });

  test('writes values as they are, and the HTML part escapes them', () => {
    expect(join(['<p>', '</p>'], ['a < b & "c"'], textWriter)).toBe('<p>a < b & "c"</p>');
    expect(join(['<p>', '</p>'], ['a < b & "c"'], htmlWriter)).toBe('<p>a &lt; b &amp; &quot;c&quot;</p>');
  });
});
