/**
 * A policy file that cannot be used. Each entry of `lines` is one self-contained line naming the
 * file, the path inside it and what was expected; `message` is those lines joined, so a CLI or a
 * startup log can print it as is.
 */
export class PolicyError extends Error {
  override name = 'PolicyError';
  readonly lines: readonly string[];

  constructor(lines: readonly string[]) {
    super(lines.join('\n'));
    this.lines = lines;
  }
}
