/** Synthetic days for benchmarks: deterministic, built from the real sample papers. */
import { loadSamplePapers } from '../src/papers/sample.ts';

/** A deterministic pseudo-random sequence, so every run works on the same synthetic day. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

/**
 * `count` papers: real titles re-used with a suffix, abstracts recombined from real sentences,
 * upvotes and authors spread out, all first seen at `now`.
 */
export function syntheticPapers(count: number, now: Date, rand = random(42)) {
  const sample = loadSamplePapers(now);
  const sentences = sample.flatMap((p) => p.abstract.split(/(?<=\.)\s+/));
  const papers = Array.from({ length: count }, (_, i) => {
    const base = sample[i % sample.length] as (typeof sample)[number];
    const abstract = Array.from({ length: 6 }, () => sentences[Math.floor(rand() * sentences.length)]).join(
      ' ',
    );
    return {
      ...base,
      id: `syn-${i}`,
      title: `${base.title} (${Math.floor(i / sample.length)})`,
      abstract,
      upvotes: Math.floor(rand() * 200),
      authors: [`Author ${i % 300}`],
    };
  });
  return { papers, sentences };
}

/**
 * `count` different free-text interests, three longer words of the day's sentences each: as real
 * readers write them, hardly two alike, so each one is a part and a preference set of its own.
 */
export function distinctInterests(count: number, sentences: readonly string[], rand = random(7)): string[] {
  const words = [...new Set(sentences.flatMap((s) => s.toLowerCase().split(/\W+/)))].filter(
    (word) => word.length > 5,
  );
  const texts = new Set<string>();
  while (texts.size < count)
    texts.add(Array.from({ length: 3 }, () => words[Math.floor(rand() * words.length)]).join(' '));
  return [...texts];
}
