import fc from 'fast-check';
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

describe('the text part joined from pieces', () => {
  test('collapses blank lines exactly as collapsing the joined text does, runs across pieces included', () => {
    // Pieces and values made of line breaks and a little text, so runs start and end anywhere.
    const text = fc
      .array(fc.constantFrom('\n', '\n', '\n', 'a', ' ', 'b\n'), { maxLength: 6 })
      .map((parts) => parts.join(''));
    const filled = fc
      .array(text, { minLength: 1, maxLength: 5 })
      .chain((pieces) =>
        fc.tuple(
          fc.constant(pieces),
          fc.array(fc.option(text), { minLength: pieces.length - 1, maxLength: pieces.length - 1 }),
        ),
      );
    fc.assert(
      fc.property(filled, ([pieces, values]) => {
        const whole = pieces.map((piece, i) => piece + (values[i] ?? '')).join('');
        expect(join(pieces, values, textWriter)).toBe(collapseBlankLines(whole));
      }),
      { numRuns: 2_000 },
    );
  });

  test('writes values as they are, and the HTML part escapes them', () => {
    expect(join(['<p>', '</p>'], ['a < b & "c"'], textWriter)).toBe('<p>a < b & "c"</p>');
    expect(join(['<p>', '</p>'], ['a < b & "c"'], htmlWriter)).toBe('<p>a &lt; b &amp; &quot;c&quot;</p>');
  });
});
