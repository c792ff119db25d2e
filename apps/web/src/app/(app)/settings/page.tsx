import type { Metadata } from "next";
import type { ReactNode } from "react";
import { can } from "~/components/roles";
import { PageHeader } from "~/components/ui";
import { requireUser } from "~/server/session";
import { ApiTokensSection } from "./api-tokens-section";
import { ChangePasswordForm } from "./change-password-form";
import { EnrollmentSection } from "./enrollment-section";
import { UsersSection } from "./users-section";
import { WebhooksSection } from "./webhooks-section";

export const metadata: Metadata = { title: "Settings" };

function Section({ id, title, children }: { id: string; title: string; children: ReactNode }) {
  return (
    <section aria-labelledby={id} className="mb-10">
      <h2 id={id} className="mb-3 border-b border-zinc-200 pb-1 text-base font-semibold dark:border-zinc-800">
        {title}
      </h2>
      {children}
    </section>
  );
}

export default async function SettingsPage() {
  const user = await requireUser();
  const admin = can(user.role, "admin");
  return (
    <>
      <PageHeader
        title="Settings"
        description={admin ? "Your account, users, enrollment tokens and webhooks." : "Your account."}
      />
      <Section id="account-heading" title="Your account">
        <p className="mb-4 text-zinc-600 dark:text-zinc-400">
          Signed in as <span className="font-medium text-zinc-900 dark:text-zinc-100">{user.displayName}</span> (
          {user.username}), role <span className="font-medium text-zinc-900 dark:text-zinc-100">{user.role}</span>.
        </p>
        <ChangePasswordForm />
      </Section>
      <Section id="api-tokens-heading" title="API tokens">
        <ApiTokensSection ownRole={user.role} />
      </Section>
      {admin && (
        <Section id="users-heading" title="Users">
          <UsersSection currentUserId={user.id} />
        </Section>
      )}
      {admin && (
        <Section id="enrollment-heading" title="Enrollment tokens">
          <EnrollmentSection />
        </Section>
      )}
      {admin && (
        <Section id="webhooks-heading" title="Webhooks">
          <WebhooksSection />
        </Section>
      )}
    </>
  );
}
