/** A failed check: one line per problem, printed under the check's FAIL line. */
export class Problems extends Error {
  constructor(problems) {
    super(problems.join('\n'));
    this.problems = problems;
  }
}

/** Throws when `problems` is not empty; returns `detail` otherwise. */
export function verdict(problems, detail) {
  if (problems.length > 0) throw new Problems(problems);
  return detail;
}
