/**
 * Hostname patterns of enrollment tokens: a glob where `*` stands for any run
 * of characters (none included), matched against the whole hostname, case
 * insensitively. Matched in linear passes, never as a regular expression, so
 * no pattern can make a match slow.
 */
export const HOSTNAME_PATTERN = /^[A-Za-z0-9.*-]{1,253}$/;
export const HOSTNAME_PATTERN_RULE = "1-253 letters, digits, '.', '-' and '*' (any run of characters)";

export function hostnameMatches(pattern: string, hostname: string): boolean {
  const p = pattern.toLowerCase();
  const h = hostname.toLowerCase();
  let pi = 0;
  let hi = 0;
  let star = -1;
  let resume = 0;
  while (hi < h.length) {
    if (pi < p.length && p[pi] !== "*" && p[pi] === h[hi]) {
      pi++;
      hi++;
    } else if (pi < p.length && p[pi] === "*") {
      star = pi++;
      resume = hi;
    } else if (star >= 0) {
      pi = star + 1;
      hi = ++resume;
    } else {
      return false;
    }
  }
  while (p[pi] === "*") pi++;
  return pi === p.length;
}
