/* biome-ignore-all lint/suspicious/noConsole: a reporter's job is to print */
import type { Reporter, TestModule } from 'vitest/node';

/**
 * Ends the run with one plain line, "N passed, N failed, N skipped" (and ", N unhandled errors"
 * when there were any), that tools reading the output (CI included) can count without knowing
 * Vitest's own format.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown> = []): void {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') counts.passed++;
        else if (state === 'failed') counts.failed++;
        else counts.skipped++;
      }
      if (module.state() === 'failed' && [...module.children.allTests()].length === 0) counts.failed++;
    }
    // An error outside any test fails the run too; the line must not read as all green.
    const unhandled = unhandledErrors.length > 0 ? `, ${unhandledErrors.length} unhandled errors` : '';
    console.log(`\n${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped${unhandled}`);
  }
}
