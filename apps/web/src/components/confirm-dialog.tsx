"use client";

import { type ReactNode, useId, useLayoutEffect, useRef, useState } from "react";
import { errorMessage } from "~/trpc/client";
import { Button, FormError } from "./ui";

/**
 * A button that asks before doing something destructive, in a native modal
 * <dialog>: focus moves into it, Escape cancels, focus returns afterwards.
 */
export function ConfirmButton({
  label,
  title,
  children,
  confirmLabel = label,
  onConfirm,
  disabled,
}: {
  label: string;
  title: string;
  children: ReactNode;
  confirmLabel?: string;
  onConfirm: () => Promise<unknown>;
  disabled?: boolean;
}) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <Button
        kind="secondary"
        className="text-red-700! dark:text-red-400!"
        disabled={disabled}
        onClick={() => setOpen(true)}
      >
        {label}
      </Button>
      {open && (
        <ConfirmDialog title={title} confirmLabel={confirmLabel} onConfirm={onConfirm} onClose={() => setOpen(false)}>
          {children}
        </ConfirmDialog>
      )}
    </>
  );
}

export function ConfirmDialog({
  title,
  children,
  confirmLabel,
  onConfirm,
  onClose,
}: {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  onConfirm: () => Promise<unknown>;
  onClose: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<unknown>(null);

  // Layout effect: its cleanup runs before React removes the element, so the
  // dialog closes properly and focus goes back to where it was.
  useLayoutEffect(() => {
    const dialog = ref.current;
    const previous = document.activeElement;
    if (dialog && !dialog.open) dialog.showModal();
    return () => {
      dialog?.close();
      if (previous instanceof HTMLElement && previous.isConnected) previous.focus();
    };
  }, []);

  async function confirm() {
    setPending(true);
    setError(null);
    try {
      await onConfirm();
      onClose();
    } catch (caught) {
      setError(caught);
      setPending(false);
    }
  }

  return (
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      onCancel={(event) => {
        event.preventDefault();
        if (!pending) onClose();
      }}
      className="m-auto w-full max-w-md rounded-lg border border-zinc-200 bg-white p-5 text-sm text-zinc-900 shadow-xl backdrop:bg-black/40 dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-100"
    >
      <h2 id={titleId} className="mb-2 text-base font-semibold">
        {title}
      </h2>
      <div className="mb-4 text-zinc-700 dark:text-zinc-300">{children}</div>
      {error != null && (
        <div className="mb-4">
          <FormError>{errorMessage(error)}</FormError>
        </div>
      )}
      <div className="flex justify-end gap-2">
        <Button kind="secondary" onClick={onClose} disabled={pending} autoFocus>
          Cancel
        </Button>
        <Button kind="danger" onClick={confirm} disabled={pending}>
          {pending ? "Working…" : confirmLabel}
        </Button>
      </div>
    </dialog>
  );
}
