/**
 * What a group's pages ask for: a page of its members, or of the nodes that
 * could join it, found by part of their hostname. Plain data and zod only:
 * the browser bundle imports this module.
 */
import { z } from "zod";
import { hostnameSearch } from "./fleet-view";

export const GROUP_PAGE_SIZES = [25, 50, 100] as const;

export const groupNodesQuery = z.object({
  groupId: z.string().trim().min(1, "must not be empty").max(64, "is too long"),
  q: hostnameSearch.optional(),
  page: z.number().int().min(1).max(10_000).default(1),
  pageSize: z
    .number()
    .int()
    .refine((n) => (GROUP_PAGE_SIZES as readonly number[]).includes(n), "the page size must be 25, 50 or 100")
    .default(25),
});
export type GroupNodesQuery = z.infer<typeof groupNodesQuery>;
