import type { ReactNode } from 'react';

/** A term and its value in a description list. */
export function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="fact">
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

/** A failure message from a call, announced to screen readers. */
export function ErrorNote({ message }: { message: string | null }) {
  if (message === null) return null;
  return (
    <p className="error" role="alert">
      {message}
    </p>
  );
}
