/**
 * A page of a list paged on the server: which page, and how many rows, from
 * the sizes the list offers. Plain zod: the browser bundle imports this module.
 */
import { z } from "zod";

/** Deeper than any list a page of 25 reaches at 250,000 rows: a bound, not a feature. */
export const MAX_PAGE = 10_000;

/** "25, 50 or 100". */
const choices = (sizes: readonly number[]) =>
  sizes.length === 1 ? String(sizes[0]) : `${sizes.slice(0, -1).join(", ")} or ${sizes.at(-1)}`;

/** The page and pageSize fields of a query, pageSize one of `sizes` (by default `fallback`). */
export function pageFields(sizes: readonly number[], fallback: number) {
  return {
    page: z.number().int().min(1).max(MAX_PAGE).default(1),
    pageSize: z
      .number()
      .int()
      .refine((n) => sizes.includes(n), `the page size must be ${choices(sizes)}`)
      .default(fallback),
  };
}
