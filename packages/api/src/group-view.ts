/**
 * What a group's pages ask for: a page of its members, or of the nodes that
 * could join it, found by part of their hostname. Plain data and zod only:
 * the browser bundle imports this module.
 */
import { z } from "zod";
import { hostnameSearch } from "./fleet-view";
import { pageFields } from "./paging";

export const GROUP_PAGE_SIZES = [25, 50, 100] as const;

export const groupNodesQuery = z.object({
  groupId: z.string().trim().min(1, "must not be empty").max(64, "is too long"),
  q: hostnameSearch.optional(),
  ...pageFields(GROUP_PAGE_SIZES, 25),
});
export type GroupNodesQuery = z.infer<typeof groupNodesQuery>;
