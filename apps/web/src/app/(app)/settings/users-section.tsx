"use client";

import { useQuery } from "@tanstack/react-query";
import { FormError, tableClass, thClass } from "~/components/ui";
import { errorMessage, useTRPC } from "~/trpc/client";
import { CreateUserForm } from "./create-user-form";
import { UserRow } from "./user-row";

/** Admins only: the page renders this for admins, and the API refuses everyone else. */
export function UsersSection({ currentUserId }: { currentUserId: string }) {
  const trpc = useTRPC();
  const users = useQuery(trpc.users.list.queryOptions());
  return (
    <>
      {users.isPending && <p role="status">Loading users…</p>}
      {users.error && <FormError>{errorMessage(users.error)}</FormError>}
      {users.data && (
        <div className="mb-6 overflow-x-auto">
          <table className={tableClass}>
            <caption className="sr-only">Users</caption>
            <thead>
              <tr>
                <th className={thClass}>Username</th>
                <th className={thClass}>Display name</th>
                <th className={thClass}>Role</th>
                <th className={thClass}>Status</th>
                <th className={thClass}>Created</th>
                <th className={thClass}>
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {users.data.map((user) => (
                <UserRow key={user.id} user={user} isSelf={user.id === currentUserId} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h3 className="mb-2 font-semibold">New user</h3>
      <CreateUserForm />
    </>
  );
}
